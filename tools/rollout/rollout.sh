#!/usr/bin/env bash
# Canary of refund-service with plain kubectl (k8s/canary-plain: stable + canary Deployments behind the
# one Service `refund-service`, which selects `app: refund-service`; traffic splits by ready pods).
#
#   tools/rollout/rollout.sh start <image>   canary gets <image> and CANARY_REPLICAS pods (~10% beside 9 stable)
#   tools/rollout/rollout.sh promote         stable rolls to the canary's image, then the canary goes back to 0
#   tools/rollout/rollout.sh abort           canary scaled to 0 at once: all traffic back on stable (< 1 min)
#   tools/rollout/rollout.sh status          images, replicas and readiness of both tracks
#
# Watch the canary on the dashboards / the RefundFailureRateHigh alert before promoting (same gate as the
# Argo AnalysisTemplate refund-canary-health: failed/all refunds <= 1%).
# Env: NAMESPACE (default: kubectl's current), KUBECTL (default kubectl), CANARY_REPLICAS (1),
#      STABLE_REPLICAS (9), ROLLOUT_TIMEOUT (240s).
set -euo pipefail

KUBECTL=${KUBECTL:-kubectl}
APP=refund-service
STABLE=deployment/${APP}-stable
CANARY=deployment/${APP}-canary
CONTAINER=${APP}
CANARY_REPLICAS=${CANARY_REPLICAS:-1}
STABLE_REPLICAS=${STABLE_REPLICAS:-9}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-240s}

k() {
  if [[ -n "${NAMESPACE:-}" ]]; then "$KUBECTL" -n "$NAMESPACE" "$@"; else "$KUBECTL" "$@"; fi
}

image_of() {
  k get "$1" -o "jsonpath={.spec.template.spec.containers[?(@.name==\"${CONTAINER}\")].image}"
}

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd=${1:-}
case "$cmd" in
  start)
    image=${2:-}
    [[ -n "$image" ]] || usage
    echo "canary: ${image} (${CANARY_REPLICAS} pod(s) beside ${STABLE_REPLICAS} stable)"
    k set image "$CANARY" "${CONTAINER}=${image}"
    k annotate "$CANARY" --overwrite "ebb.io/canary-image=${image}" >/dev/null
    k scale "$STABLE" --replicas="$STABLE_REPLICAS"
    k scale "$CANARY" --replicas="$CANARY_REPLICAS"
    if ! k rollout status "$CANARY" --timeout="$ROLLOUT_TIMEOUT"; then
      echo "canary did not become ready: aborting" >&2
      k scale "$CANARY" --replicas=0
      exit 1
    fi
    echo "canary ready; watch it, then: $0 promote | $0 abort"
    ;;
  promote)
    image=$(image_of "$CANARY")
    [[ -n "$image" ]] || { echo "no canary image" >&2; exit 1; }
    echo "promoting ${image} to stable"
    k set image "$STABLE" "${CONTAINER}=${image}"
    # maxUnavailable 0: old stable pods go only when new ones are ready; the canary keeps serving meanwhile
    k rollout status "$STABLE" --timeout="$ROLLOUT_TIMEOUT"
    k scale "$CANARY" --replicas=0
    echo "promoted: stable runs ${image}"
    ;;
  abort)
    # the canary goes at once; stable was never touched, so this is the whole rollback
    k scale "$CANARY" --replicas=0
    stable_image=$(image_of "$STABLE")
    k set image "$CANARY" "${CONTAINER}=${stable_image}"
    echo "aborted: canary scaled to 0, all traffic on stable (${stable_image})"
    ;;
  status)
    for d in "$STABLE" "$CANARY"; do
      k get "$d" -o "jsonpath={.metadata.name}{\"\\t\"}{.spec.template.spec.containers[0].image}{\"\\tdesired=\"}{.spec.replicas}{\"\\tready=\"}{.status.readyReplicas}{\"\\n\"}"
    done
    k get pods -l "app=${APP}" -L track
    ;;
  *)
    usage
    ;;
esac

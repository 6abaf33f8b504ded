# syntax=docker/dockerfile:1
# One image for every Ebb service; APP picks the app (order-service, payment-service, refund-service,
# inventory-service, notification-service; console, the operator console's page and server; sandbox for
# dev/test only). The services have no build step (the console's page is built in the `console` stage):
# tools/register.js compiles TypeScript with SWC at load time, so @swc/core (a devDependency) must be
# present at runtime; the build stage installs the full dependency tree and the runtime stage copies it.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

# the operator console's page (APP=console serves it): built once, copied as static files
FROM deps AS console
COPY tsconfig.base.json ./
COPY libs/api-client ./libs/api-client
COPY libs/contracts ./libs/contracts
COPY apps/console ./apps/console
RUN npx vite build --config apps/console/vite.config.mts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    APP=order-service \
    SHUTDOWN_GRACE_MS=10000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.base.json tsconfig.json ./
COPY --chown=node:node tools/register.js tools/ts-paths.js ./tools/
COPY --chown=node:node libs ./libs
COPY --chown=node:node apps ./apps
COPY --from=console --chown=node:node /app/dist/console ./dist/console
# the sandbox (dev only) generates its Alipay and WeChat Pay keys into tmp/ on first start
RUN mkdir -p /app/tmp && chown node:node /app/tmp
USER node
EXPOSE 3000 3001 3002 3003 3004 3005 50051
STOPSIGNAL SIGTERM
# the slim image has no curl: probe /health/ready with node's fetch on PORT (else the app's default port)
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "const d={console:3000,'order-service':3001,'payment-service':3002,'refund-service':3003,'inventory-service':3004,'notification-service':3005,sandbox:4010};const p=process.env.PORT||d[process.env.APP];fetch('http://127.0.0.1:'+p+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec: node becomes PID 1's replacement so SIGTERM reaches it and the graceful shutdown runs
CMD ["sh", "-c", "exec node -r ./tools/register.js apps/${APP}/src/main.ts"]

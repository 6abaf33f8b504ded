// This platform's connections to the local RabbitMQ, told apart by the name each service gives its
// connection (`ebb-<service>-<platform suffix>-<pid>`), and cut with rabbitmqctl.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface BrokerConnection {
  /** the connection's Erlang process id, which close_connection takes (`<rabbit@host.1.2.0>`) */
  pid: string;
  /** the client's connection_name property, if it set one */
  clientName?: string;
}

/**
 * Reads `rabbitmqctl list_connections pid client_properties --no-table-headers`: a pid, a tab, the
 * properties in Erlang terms (`[{"connection_name","ebb-refunds-1a2b3c4d-123"},…]`). Its JSON
 * formatter prints pids in a form close_connection does not take, hence the text.
 */
export function parseConnections(text: string): BrokerConnection[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('<'))
    .map((line) => {
      const [pid, properties = ''] = line.split('\t');
      return { pid, clientName: properties.match(/\{"connection_name","([^"]*)"\}/)?.[1] };
    });
}

/** The connections of the platform whose queues and connections carry `suffix` (TestPlatform's). */
export function ofPlatform(connections: readonly BrokerConnection[], suffix: string): BrokerConnection[] {
  const ours = new RegExp(`^ebb-.+-${suffix}-\\d+$`);
  return connections.filter((connection) => connection.clientName !== undefined && ours.test(connection.clientName));
}

/** Closes every broker connection of the platform; answers how many it found and the names it closed. */
export async function dropConnections(suffix: string): Promise<{ found: number; closed: string[] }> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers'], { timeout: 30_000 });
  const ours = ofPlatform(parseConnections(stdout), suffix);
  const closed: string[] = [];
  for (const connection of ours) {
    // a connection may be gone by now (a service restarting): that one is not counted
    const done = await run('rabbitmqctl', ['-q', 'close_connection', connection.pid, 'chaos: broker connection dropped'], { timeout: 30_000 }).then(
      () => true,
      () => false,
    );
    if (done) closed.push(connection.clientName!);
  }
  return { found: ours.length, closed };
}

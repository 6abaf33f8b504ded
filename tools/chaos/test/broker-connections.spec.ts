import { ofPlatform, parseConnections } from '../broker-connections';

const LISTING = [
  '<rabbit@localhost.1796165609.6449.0>\t[{"connection_name","ebb-inventory-ff60b27d-13595"},{"product","amqplib"},{"capabilities",[{"publisher_confirms",true}]}]',
  '<rabbit@localhost.1796165609.6452.0>\t[{"connection_name","ebb-refunds-1a2b3c4d-200"},{"product","amqplib"}]',
  '<rabbit@localhost.1796165609.6460.0>\t[{"connection_name","ebb-refunds-1a2b3c4d-publisher"},{"product","amqplib"}]',
  '<rabbit@localhost.1796165609.6470.0>\t[{"product","some other client"}]',
  '',
].join('\n');

describe('this platform’s broker connections', () => {
  it('reads rabbitmqctl’s listing: each connection’s pid and the name its client gave it', () => {
    expect(parseConnections(LISTING)).toEqual([
      { pid: '<rabbit@localhost.1796165609.6449.0>', clientName: 'ebb-inventory-ff60b27d-13595' },
      { pid: '<rabbit@localhost.1796165609.6452.0>', clientName: 'ebb-refunds-1a2b3c4d-200' },
      { pid: '<rabbit@localhost.1796165609.6460.0>', clientName: 'ebb-refunds-1a2b3c4d-publisher' },
      { pid: '<rabbit@localhost.1796165609.6470.0>', clientName: undefined },
    ]);
  });

  it('keeps only the services of the platform with that suffix, not a test’s publisher or another platform', () => {
    expect(ofPlatform(parseConnections(LISTING), '1a2b3c4d').map((c) => c.clientName)).toEqual(['ebb-refunds-1a2b3c4d-200']);
    expect(ofPlatform(parseConnections(LISTING), 'deadbeef')).toEqual([]);
  });
});

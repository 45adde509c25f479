// Package terminal is the POS agent, posagent: the sale flow (agent), the durable queue (queue),
// offline approval (offline), forwarding (forwarder), the settlement client (client), the register's
// local API (localapi), configuration (config) and the command line (cli). This package itself only
// holds the guard test that keeps server and database code out of the agent's binary.
package terminal

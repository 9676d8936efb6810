// Starts AWS's DynamoDB Local listening on 127.0.0.1 only.
//
// The jar has no host option: its server (DynamoDBProxyServer) builds a Jetty `Server(port)`,
// whose one connector listens on every interface, so anyone on the network could read and write
// devstack's tables. This launcher builds the same server from the same command-line arguments,
// sets that connector's host to 127.0.0.1 before it starts, then prints the port it listens on
// as one line, "LISTENING <port>", for devstack/dynamodb_local.py. `-port 0` picks a free port
// (the jar itself refuses 0, so the launcher takes -port out of what it hands the jar).
// tests/unit/test_dynamodb_local.py reads the listening sockets to prove it.

import java.lang.reflect.Field;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class Loopback {
    private Loopback() {}

    public static void main(String[] args) throws Exception {
        int port = 8000;  // the jar's default
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ("-port".equals(args[i]) && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else {
                rest.add(args[i]);
            }
        }
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(
                rest.toArray(new String[0]));
        if (proxy == null) {  // -help, or arguments the jar refused (it has said why)
            System.exit(2);
        }
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local built a server with no connector");
        }
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector)) {
                throw new IllegalStateException("unexpected connector " + connector.getClass());
            }
            ((ServerConnector) connector).setHost("127.0.0.1");
            ((ServerConnector) connector).setPort(port);
        }
        proxy.start();
        System.out.println("LISTENING " + ((ServerConnector) connectors[0]).getLocalPort());
        System.out.flush();
        proxy.join();
    }
}

package org.virtbackup.s3;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;


/** Endpoint configurations and servers for the tests, with the credentials they share. */
final class Configs {

    static final String ACCESS = "virt-backup-test";
    static final String SECRET = "s3cr3t-" + Long.toHexString(System.nanoTime());

    private Configs() {
    }

    /** An endpoint's configuration for the server, with these properties (pairs) over it. */
    static S3EndpointConfig endpoint(org.virtbackup.s3.testing.S3Server server, String... more) {
        Map<String, Object> c = new HashMap<>();
        c.put("name", "test");
        c.put("endpoint", server.endpoint());
        c.put(".access.key", ACCESS);
        c.put(".secret.key", SECRET);
        c.put("part.size.mib", 5);
        for (int i = 0; i + 1 < more.length; i += 2) {
            c.put(more[i], more[i + 1]);
        }
        return org.virtbackup.impl.config.Configurations.of(S3EndpointConfig.class, c);
    }

    /** Starts a server with these buckets, for the credentials above. */
    static org.virtbackup.s3.testing.S3Server server(Path dir, String... buckets) throws Exception {
        return org.virtbackup.s3.testing.S3Server.start(dir, org.virtbackup.s3.testing.S3Server.freePort(), ACCESS, SECRET,
                buckets);
    }
}

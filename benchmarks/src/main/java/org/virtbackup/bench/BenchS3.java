package org.virtbackup.bench;

import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

import org.virtbackup.impl.config.Configurations;
import org.virtbackup.s3.S3Endpoint;
import org.virtbackup.s3.S3EndpointConfig;
import org.virtbackup.s3.testing.S3Server;

/**
 * What the object-storage benchmarks share: s3proxy on loopback with a bucket {@value #BUCKET}
 * under the work directory, and an endpoint configured for it, both stopped by the context's cleanup.
 */
record BenchS3(S3Server server, S3Endpoint endpoint) {

    static final String BUCKET = "bench";

    static BenchS3 start(BenchContext ctx) throws Exception {
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        S3Server server = S3Server.start(Files.createDirectories(ctx.workDir().resolve("s3")), S3Server.freePort(), "bench",
                secret, BUCKET);
        ctx.cleanup().add("stopping s3proxy", server::close);
        S3Endpoint endpoint = new S3Endpoint(Configurations.of(S3EndpointConfig.class, Map.of("name", "bench",
                "endpoint", server.endpoint(), "buckets", BUCKET, ".access.key", "bench", ".secret.key", secret)));
        ctx.cleanup().add("closing the S3 endpoint", endpoint::close);
        return new BenchS3(server, endpoint);
    }
}

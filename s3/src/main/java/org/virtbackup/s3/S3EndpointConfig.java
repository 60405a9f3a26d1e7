package org.virtbackup.s3;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** One S3 endpoint: a factory configuration {@code org.virtbackup.s3} per endpoint (Karaf: {@code etc/org.virtbackup.s3-NAME.cfg}). */
@ObjectClassDefinition(name = "virt-backup S3 endpoint", description = "Object storage with the S3 API that repositories "
        + "(s3://BUCKET/PREFIX) may live on: Ceph RGW, MinIO, AWS S3. One configuration per endpoint; a repository URL's "
        + "bucket picks the endpoint.")
public @interface S3EndpointConfig {

    @AttributeDefinition(name = "Name", description = "How messages name this endpoint.")
    String name();

    @AttributeDefinition(name = "Endpoint", description = "The service's URL, e.g. https://rgw.example:8443 or "
            + "http://127.0.0.1:9000; empty: AWS S3 in the region.")
    String endpoint() default "";

    @AttributeDefinition(name = "Region", description = "The signing region (Ceph RGW and MinIO accept us-east-1).")
    String region() default "us-east-1";

    @AttributeDefinition(name = "Path-style addressing", description = "Buckets in the path (http://HOST/BUCKET/KEY) "
            + "instead of the host name: needed by most endpoints other than AWS.")
    boolean path_style() default true;

    @AttributeDefinition(name = "Buckets", description = "The buckets this endpoint serves: names, or globs with * and ?.")
    String[] buckets() default { "*" };

    // The credentials' names start with '.' (.access.key, .secret.key, .secret.key.file): DS keeps
    // such properties out of the service's properties, where any bundle or shell could read them.

    @AttributeDefinition(name = "Access key", description = "The access key id (property .access.key).")
    String _access_key();

    @AttributeDefinition(name = "Secret key file", description = "A file readable by its owner only whose content is "
            + "the secret key: keeps the secret out of the configuration store. Takes precedence over .secret.key "
            + "(property .secret.key.file).")
    String _secret_key_file() default "";

    @AttributeDefinition(name = "Secret key", type = AttributeType.PASSWORD, description = "The secret key, if no "
            + "secret key file is given (property .secret.key). Never logged or shown by virt-backup.")
    String _secret_key() default "";

    @AttributeDefinition(name = "Parallel uploads", description = "Parts uploaded at once by all the writes of this "
            + "endpoint; each holds a part in memory.")
    int uploads() default 8;

    @AttributeDefinition(name = "Part size (MiB)", description = "The size of a multipart upload's parts, 5 to 1024.")
    int part_size_mib() default 8;

    @AttributeDefinition(name = "Connections", description = "HTTP connections kept to the endpoint at most.")
    int connections() default 32;

    @AttributeDefinition(name = "Attempts", description = "Tries per request: the SDK's standard retries, with "
            + "backoff, on 5xx answers, throttling and broken connections.")
    int attempts() default 5;
}

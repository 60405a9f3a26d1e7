package org.virtbackup.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.repository.ObjectStoreProvider;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * One configured S3 endpoint: its client (the AWS SDK's, with its retries and a bounded pool of
 * connections) and its part uploads, offered as the provider of the {@code s3://} repositories
 * whose bucket it serves.
 */
@Component(service = ObjectStoreProvider.class, configurationPid = S3Endpoint.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = ObjectStoreProvider.SCHEME + "=s3")
@Designate(ocd = S3EndpointConfig.class, factory = true)
public final class S3Endpoint implements ObjectStoreProvider {

    static final String PID = "org.virtbackup.s3";
    private static final Logger LOG = LoggerFactory.getLogger(S3Endpoint.class);
    /** The largest part: a part is one array in memory per upload at once (and 2048 MiB would overflow its size). */
    private static final int MAX_PART_MIB = 1024;

    private final String description;
    private final List<Pattern> buckets;
    private final S3Client s3;
    private final Uploads uploads;
    /** The configuration file, if it came from one: an inline secret needs it closed to others. */
    private final Path source;

    /** Where Karaf's file install read the configuration from, if it did (no default: not a property of ours). */
    public @interface Source {
        String felix_fileinstall_filename();
    }

    /** An endpoint configured other than from a file (a test, a benchmark, Configuration Admin's API). */
    public S3Endpoint(S3EndpointConfig config) throws IOException {
        this(config, null);
    }

    @Activate
    public S3Endpoint(S3EndpointConfig config, Source source) throws IOException {
        this.source = source == null || source.felix_fileinstall_filename() == null
                || source.felix_fileinstall_filename().isBlank() ? null
                : Path.of(URI.create(source.felix_fileinstall_filename().strip()));
        String name = config.name() == null || config.name().isBlank() ? "(unnamed)" : config.name().strip();
        String endpoint = config.endpoint() == null ? "" : config.endpoint().strip();
        this.description = "S3 endpoint '" + name + "' (" + (endpoint.isEmpty() ? "AWS, " + config.region() : endpoint) + ")";
        if (config._access_key() == null || config._access_key().isBlank()) {
            throw new IllegalArgumentException(description + ": no access.key configured");
        }
        if (config.part_size_mib() < 5 || config.part_size_mib() > MAX_PART_MIB) {
            throw new IllegalArgumentException(description + ": part.size.mib is " + config.part_size_mib() + "; it is "
                    + "at least 5 (S3's smallest part) and at most " + MAX_PART_MIB + " (each upload holds a part in memory)");
        }
        this.buckets = Arrays.stream(config.buckets()).map(S3Endpoint::glob).toList();
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.path_style())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(config._access_key().strip(),
                        secret(config))))
                .httpClient(Apache5HttpClient.builder().maxConnections(Math.max(1, config.connections())).build())
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(Math.max(1, config.attempts()))))
                // Our objects carry their own integrity (digests, GCM tags); several S3 servers other
                // than AWS refuse the SDK's default trailing checksums on uploads.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (!endpoint.isEmpty()) {
            b.endpointOverride(URI.create(endpoint));
        }
        this.s3 = b.build();
        this.uploads = new Uploads(name, Math.max(1, config.uploads()), config.part_size_mib() << 20);
        LOG.info("{}: serves buckets {}", description, Arrays.toString(config.buckets()));
    }

    /** The secret: from the owner-only file if one is configured, else the configuration's. */
    private String secret(S3EndpointConfig config) throws IOException {
        String file = config._secret_key_file() == null ? "" : config._secret_key_file().strip();
        if (file.isEmpty()) {
            if (config._secret_key() == null || config._secret_key().isEmpty()) {
                throw new IllegalArgumentException(description + ": neither secret.key.file nor secret.key configured");
            }
            if (source != null && !ownerOnly(Files.getPosixFilePermissions(source))) {
                throw new IllegalArgumentException(description + ": .secret.key is in " + source
                        + ", which others can read: chmod 600 it, or put the secret in a .secret.key.file");
            }
            return config._secret_key();
        }
        Path path = Path.of(file);
        if (!ownerOnly(Files.getPosixFilePermissions(path))) {
            throw new IllegalArgumentException(description + ": .secret.key.file " + path + " is readable by others: chmod 600 it");
        }
        return Files.readString(path, StandardCharsets.UTF_8).strip();
    }

    private static boolean ownerOnly(Set<PosixFilePermission> perms) {
        return perms.stream().allMatch(p -> p == PosixFilePermission.OWNER_READ || p == PosixFilePermission.OWNER_WRITE);
    }

    private static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.strip().toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    @Override
    public boolean serves(URI url) {
        return "s3".equals(url.getScheme()) && url.getHost() != null
                && buckets.stream().anyMatch(p -> p.matcher(url.getHost()).matches());
    }

    @Override
    public ObjectStore open(URI url) {
        return new S3ObjectStore(s3, S3Location.of(url), uploads, description);
    }

    @Override
    public String describe() {
        return description;
    }

    /** Closes the client and the part uploads (outside OSGi: benchmarks, tests). */
    @Deactivate
    public void close() {
        uploads.close();
        s3.close();
    }
}

package org.virtbackup.impl.storage;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/**
 * The per-domain targets, and every directory ever used, persisted in {@value #NAME} in the
 * global target's root (0600, replaced atomically) at each change, so that backups left in a
 * directory that is no longer any domain's target are still found at start-up.
 */
final class TargetSettings {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSettings.class);

    static final String NAME = "default-targets.properties";
    private static final String USED = "used.";

    private final Path file;
    private final Map<UUID, BackupTarget> byDomain = new ConcurrentHashMap<>();

    TargetSettings(Path globalRoot) {
        this.file = globalRoot.resolve(NAME);
    }

    /** The domain's own target, if one is set. */
    Optional<BackupTarget> get(UUID domain) {
        return Optional.ofNullable(byDomain.get(domain));
    }

    /** Every domain's own target. */
    Collection<BackupTarget> all() {
        return byDomain.values();
    }

    /** Sets ({@code null}: clears) the domain's target and saves it, with the directories used. */
    synchronized void put(UUID domain, BackupTarget target, Collection<Path> used) {
        if (target == null) {
            byDomain.remove(domain);
        } else {
            byDomain.put(domain, target);
        }
        save(used);
    }

    /** What was saved: each domain's target, and into {@code used} every directory used. */
    void load(Set<Path> used) {
        if (!Files.exists(file)) {
            return;
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key);
            if (key.startsWith(USED)) {
                used.add(Path.of(value));
                continue;
            }
            try {
                int colon = value.indexOf(':');
                byDomain.put(UUID.fromString(key), new BackupTarget(value.substring(0, colon), value.substring(colon + 1)));
            } catch (RuntimeException e) {
                // One bad line must not keep the service from starting: that domain's backups go to the global target.
                LOG.error("Ignoring line '{} = {}' of {}: {}; the domain's backups go to target.directory until its "
                        + "target is set again", key, value, file, e.getMessage());
            }
        }
    }

    private void save(Collection<Path> used) {
        Map<String, String> out = new TreeMap<>();
        byDomain.forEach((domain, t) -> out.put(domain.toString(), t.type() + ":" + t.value()));
        int i = 0;
        for (Path dir : used) {
            out.put(USED + i++, dir.toString());
        }
        Properties p = new Properties();
        p.putAll(out);
        try {
            StringWriter text = new StringWriter();
            p.store(text, "virt-backup: per-domain default targets (domain UUID = dir:PATH, pool:NAME, repository:URL or KIND:) and "
                    + "directories in use");
            Paths.writeDurably(file, text.toString());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot save " + file + ": " + e.getMessage(), e);
        }
    }
}

package org.virtbackup.impl.firmware;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Puts a backup's firmware state where a restored domain reads it. A new domain gets its own
 * copies: a new UUID (so libvirt keeps its TPM state apart) and its own NVRAM file beside the
 * original's, named as libvirt names them ({@code <name>_VARS.fd}); it never shares the
 * original's. An in-place restore puts the copies back over the domain's own files. Each file is
 * written beside its place and renamed over it, so a crash leaves the old file or the new one.
 */
public final class FirmwareRestore {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareRestore.class);

    private final Path swtpm;

    /** @param swtpm libvirt's swtpm directory ({@code /var/lib/libvirt/swtpm}) */
    public FirmwareRestore(Path swtpm) {
        this.swtpm = swtpm;
    }

    /**
     * Where a new domain's firmware state goes.
     *
     * @param uuid its UUID
     * @param nvram its NVRAM file, {@code null} if it has none
     * @param written what was written for it, removed again if it is not defined
     */
    public record NewDomain(UUID uuid, Path nvram, List<Path> written) {
    }

    /**
     * Writes a new domain's firmware state before it is defined; nothing is written over.
     *
     * @param domainXml the domain XML kept with the backup
     * @param source each file's bytes as the backup keeps them, checked against its SHA-256
     * @param files the backup's firmware files (none for a backup taken before they were kept)
     */
    public NewDomain forNewDomain(String domainXml, String name, Function<FirmwareFile, byte[]> source,
            List<FirmwareFile> files) {
        FirmwareState original = FirmwareState.of(domainXml, swtpm);
        UUID uuid = UUID.randomUUID();
        Path nvram = requireFree(original, name);
        NewDomain placed = new NewDomain(uuid, nvram, new ArrayList<>());
        try {
            for (FirmwareFile f : files) {
                if (f.kind().equals(FirmwareFile.NVRAM) && nvram != null) {
                    writeNew(nvram, source.apply(f), placed.written());
                } else if (f.kind().equals(FirmwareFile.TPM) && original.tpm() != null) {
                    Path top = swtpm.resolve(uuid.toString());
                    Path dir = top.resolve(original.tpm().getFileName());
                    if (!Files.isDirectory(top)) {
                        // as libvirt makes them: swtpm's user passes through the UUID's directory
                        // into its state directory, which libvirt hands to that user at the start
                        Paths.passableDirectory(top);
                        placed.written().add(top);
                        Paths.privateDirectory(dir);
                    }
                    writeNew(dir.resolve(f.name()), source.apply(f), placed.written());
                }
            }
        } catch (IOException e) {
            discard(placed);
            throw new BackupException(ErrorCode.IO_ERROR, "writing the restored domain's firmware state: "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            discard(placed);
            throw e;
        }
        return placed;
    }

    /**
     * The NVRAM file a new domain of this name gets ({@code null} if the domain has none);
     * {@code INVALID_ARGUMENT} if a file is there.
     */
    public Path requireFree(String domainXml, String name) {
        return requireFree(FirmwareState.of(domainXml, swtpm), name);
    }

    private static Path requireFree(FirmwareState state, String name) {
        Path original = state.nvram();
        Path nvram = original == null ? null : original.resolveSibling(name + "_VARS.fd");
        if (nvram != null && Files.exists(nvram, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, nvram + " exists: the restored domain's NVRAM is "
                    + "never written over another's; choose another name");
        }
        return nvram;
    }

    /** The new domain's XML with its own UUID and NVRAM file. */
    public static String apply(String domainXml, NewDomain placed) {
        Document doc = FirmwareState.parse(domainXml);
        Element root = doc.getDocumentElement();
        Element uuid = doc.createElement("uuid");
        uuid.setTextContent(placed.uuid().toString());
        root.insertBefore(uuid, root.getFirstChild());
        if (placed.nvram() != null) {
            var nvrams = root.getElementsByTagName("nvram");
            for (int i = 0; i < nvrams.getLength(); i++) {
                Element nvram = (Element) nvrams.item(i);
                var sources = nvram.getElementsByTagName("source");
                if (sources.getLength() > 0) {
                    ((Element) sources.item(0)).setAttribute("file", placed.nvram().toString());
                } else {
                    nvram.setTextContent(placed.nvram().toString());
                }
            }
        }
        return SafeXml.toString(doc);
    }

    /** Removes what {@link #forNewDomain} wrote (a define that failed). */
    public void discard(NewDomain placed) {
        List<Path> newestFirst = new ArrayList<>(placed.written());
        Collections.reverse(newestFirst);
        for (Path p : newestFirst) {
            try {
                Paths.deleteTree(p);
            } catch (IOException e) {
                LOG.warn("Cannot remove {}: {}", p, e.getMessage());
            }
        }
    }

    /**
     * Puts the backup's firmware state back over the shut-off domain's own (an in-place restore),
     * and removes TPM state files written since. If any step fails, what was there is written
     * back before the error is thrown. A file the domain has no place for now (its NVRAM or TPM
     * was removed since) is skipped, said in the log.
     */
    public void putBack(String currentDomainXml, Function<FirmwareFile, byte[]> source, List<FirmwareFile> files) {
        FirmwareState now = FirmwareState.of(currentDomainXml, swtpm);
        Map<Path, byte[]> before = new LinkedHashMap<>(); // what each place held (null: nothing), for the way back
        try {
            Map<Path, byte[]> after = new LinkedHashMap<>();
            for (FirmwareFile f : files) {
                Path place = f.kind().equals(FirmwareFile.NVRAM) ? now.nvram()
                        : now.tpm() == null ? null : now.tpm().resolve(f.name());
                if (place == null) {
                    LOG.warn("The domain has no {} now: its copy {} in the backup is not put back", f.kind(), f.name());
                    continue;
                }
                after.put(place, source.apply(f)); // every copy read and checked before anything is written
            }
            if (now.tpm() != null && Files.isDirectory(now.tpm()) && files.stream().anyMatch(f -> f.kind().equals(FirmwareFile.TPM))) {
                for (Path f : FirmwareCopies.tpmFiles(now.tpm())) {
                    after.putIfAbsent(f, null); // state written after the backup: it would not match what is put back
                }
            }
            for (Path place : after.keySet()) {
                before.put(place, Files.exists(place) ? Files.readAllBytes(place) : null);
            }
            if (now.tpm() != null && files.stream().anyMatch(f -> f.kind().equals(FirmwareFile.TPM))) {
                Paths.passableDirectory(now.tpm().getParent()); // as libvirt makes <swtpm>/<uuid>: swtpm's user passes
                Paths.privateDirectory(now.tpm());
            }
            for (Map.Entry<Path, byte[]> e : after.entrySet()) {
                set(e.getKey(), e.getValue());
            }
        } catch (IOException | RuntimeException e) {
            BackupException failure = e instanceof BackupException b ? b : new BackupException(ErrorCode.IO_ERROR,
                    "putting the domain's firmware state back: " + e.getMessage(), e);
            for (Map.Entry<Path, byte[]> old : before.entrySet()) {
                try {
                    set(old.getKey(), old.getValue());
                } catch (IOException | RuntimeException back) {
                    failure.addSuppressed(back);
                }
            }
            throw failure;
        }
    }

    /** Writes the file durably, whole or not at all, or removes it ({@code bytes} null). */
    private static void set(Path file, byte[] bytes) throws IOException {
        if (bytes == null) {
            Files.deleteIfExists(file);
        } else {
            Paths.writeDurably(file, bytes);
        }
    }

    private static void writeNew(Path file, byte[] bytes, List<Path> written) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE));
        } catch (FileAlreadyExistsException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, file + " exists: the restored domain's firmware "
                    + "state is never written over another domain's");
        }
        written.add(file);
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            out.write(bytes);
            out.getFD().sync();
        }
        Paths.syncDirectory(file.getParent());
    }
}

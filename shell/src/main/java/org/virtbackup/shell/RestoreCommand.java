package org.virtbackup.shell;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.api.RestoreResult;

@Service
@Command(scope = "backup", name = "restore",
        description = "Restores a backup point: into image files, over the shut-off domain's disks, or into a new domain")
public class RestoreCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--new-domain", description = "Define a new domain with this name on the restored disks")
    String newDomain;

    @Option(name = "--overwrite", description = "Write over the disks of the existing domain, which must be shut off")
    boolean overwrite;

    @Option(name = "--disk", description = "Restore this disk (repeat), optionally to a file: NAME or NAME=PATH", multiValued = true)
    List<String> disks;

    @Option(name = "--verify", description = "Compare every restored image with the backup point; one that differs "
            + "fails the restore, and nothing of it is kept")
    boolean verify;

    @Option(name = "--instant", description = "With --new-domain: thin overlays on the backup chain, ready at once")
    boolean instant;

    @Option(name = "--start", description = "With --new-domain: start it")
    boolean start;

    @Option(name = "--wait", description = "Show the restore's progress (bytes, rate, ETA), then the result")
    boolean wait;

    @Option(name = "--xml", description = "File holding the restore <domainbackup> (instead of the options above)")
    String xmlFile;

    @Override
    public Object execute() throws Exception {
        Set<RestoreFlag> flags = Flags.of(RestoreFlag.class).with(newDomain != null, RestoreFlag.NEW_DOMAIN)
                .with(overwrite, RestoreFlag.REWRITE_EXISTING_DISK).with(verify, RestoreFlag.VERIFY)
                .with(instant, RestoreFlag.INSTANT).with(start, RestoreFlag.START).set();
        String xml = xmlFile != null ? XmlFiles.read(xmlFile) : null;
        Supplier<RestoreResult> restore = () -> xml != null ? service.restore(xml, flags) : service.restore(request(), flags);
        RestoreResult result;
        if (wait) {
            Progress progress = new Progress(System.out, Terminals.width(session));
            result = progress.during(restore::get, this::restored);
            System.out.println("restored in " + progress.elapsedMillis() + " ms");
        } else {
            result = restore.get();
        }
        if (result.domain() != null) {
            System.out.println("domain " + result.domain().name() + " " + result.domain().uuid());
        }
        for (RestoreResult.RestoredDisk d : result.disks()) {
            System.out.println(d.name() + " -> " + d.path()
                    + (d.verified() == null ? "" : d.verified() ? " (verified)" : " (VERIFY FAILED: differs from the backup)"));
        }
        List<String> differ = result.disks().stream().filter(d -> Boolean.FALSE.equals(d.verified()))
                .map(RestoreResult.RestoredDisk::name).toList();
        if (!differ.isEmpty()) {
            throw new IllegalStateException("the restored " + differ + " differ from the backup");
        }
        return null;
    }

    /** The restore's bytes, as the backup's parameters report them while it runs. */
    private Optional<long[]> restored() {
        Map<String, Object> p = service.getParameters(Uuids.parse(uuid));
        return p.get(BackupParameters.RESTORE_BYTES_TOTAL) instanceof Long total
                && p.get(BackupParameters.RESTORE_BYTES_PROCESSED) instanceof Long done
                ? Optional.of(new long[] {total, done}) : Optional.empty();
    }

    private RestoreRequest request() {
        List<RestoreRequest.Disk> chosen = disks == null ? List.of() : disks.stream().map(d -> {
            int eq = d.indexOf('=');
            return eq < 0 ? new RestoreRequest.Disk(d, null) : new RestoreRequest.Disk(d.substring(0, eq), d.substring(eq + 1));
        }).toList();
        return new RestoreRequest(Uuids.parse(uuid), newDomain, chosen);
    }
}

package dev.toploc.cli;

import dev.toploc.attest.PublicKey;
import dev.toploc.attest.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toploc keygen -o KEY}: an Ed25519 key pair, KEY (PKCS#8, owner-only) and KEY.pub (SPKI). Never overwrites. */
@Command(name = "keygen", description = "Write an Ed25519 signing key: KEY (plain PKCS#8 v1 PEM, mode 600, as openssl genpkey writes it) and KEY.pub (SubjectPublicKeyInfo PEM). Never overwrites.")
final class KeygenCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "KEY", description = "private key file; the public key goes to KEY.pub")
    Path output;

    @Override
    public Integer call() throws Exception {
        Path pub = output.resolveSibling(output.getFileName() + ".pub");
        for (Path p : new Path[] {output, pub}) {
            if (Files.exists(p)) {
                throw new java.nio.file.FileAlreadyExistsException(p.toString(), null, "refusing to overwrite an existing key");
            }
        }
        SigningKey kp = SigningKey.generate(new SecureRandom());
        SafeFiles.write(output, false, true, out -> out.write(kp.toPkcs8Pem().getBytes(StandardCharsets.US_ASCII)));
        SafeFiles.write(pub, false, false, out -> out.write(kp.publicKey().toSpkiPem().getBytes(StandardCharsets.US_ASCII)));
        command.commandLine().getOut().printf("wrote %s (private, owner-only) and %s (public); key id %s%n", output, pub,
                kp.keyId());
        return 0;
    }
}

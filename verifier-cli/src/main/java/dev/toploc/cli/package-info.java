/**
 * The {@code toploc} command (picocli). Each subcommand maps typed exceptions to exit codes:
 * 0 success or accepted, 1 rejected (a null proof included), 2 bad input or usage, 3 internal error
 * (any unexpected throwable, {@code OutOfMemoryError} included; one line, the trace with {@code --debug}
 * or {@code TOPLOC_DEBUG=1}). Input files are read through {@code dev.toploc.io.UntrustedFiles}
 * (regular files only, bounded); untrusted text is printed through {@link dev.toploc.cli.Terminal#escape}.
 * Not a library API.
 */
package dev.toploc.cli;

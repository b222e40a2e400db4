/**
 * The {@code toploc} command (picocli). Each subcommand maps typed exceptions to exit codes:
 * 0 success or accepted, 1 rejected, 2 bad input or usage, 3 internal error. Not a library API.
 */
package dev.toploc.cli;

/**
 * Reading files that someone else made, the one way the library and the CLI do it
 * ({@link dev.toploc.io.UntrustedFiles}): regular files only (a device, a FIFO, a socket or a directory is
 * refused by type before it is opened), bounded while read, errors that name the path and what the file was
 * meant to be. Public so that an application built on the library (a validator service, a Spark job) reads its
 * inputs with the same guarantees.
 */
package dev.toploc.io;

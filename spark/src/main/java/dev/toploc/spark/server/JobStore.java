package dev.toploc.spark.server;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The server's job state in an embedded H2 database (one file under the state folder): every accepted request
 * is a row before the server answers, so a restart loses none; a job's verdict is written once, by the one
 * update that moves it out of {@code pending} ({@link #finish}), so none is reported twice. Commits are
 * written through at once ({@code WRITE_DELAY=0}): a killed process keeps every answered request.
 *
 * <p>Jobs are keyed by kind ({@code file} or {@code group}) and file name: a request identical to the stored
 * one is the same job (concurrent identical requests insert one row); a different request for the same name
 * is refused ({@link Outcome#CONFLICT}).
 */
final class JobStore implements AutoCloseable {
    /** A stored job. */
    record Job(String kind, String file, String request, String status, String result, int attempts, int verdicts) {
    }

    /** What {@link #submit} did. */
    enum Outcome { CREATED, EXISTING, REQUEUED, CONFLICT }

    private final Connection db;

    JobStore(Path dir) throws SQLException {
        db = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("jobs").toAbsolutePath() + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE", "toploc", "");
        db.setAutoCommit(true);
        try (Statement s = db.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS jobs (
                      kind VARCHAR(8) NOT NULL,
                      file VARCHAR(1024) NOT NULL,
                      request CLOB NOT NULL,
                      status VARCHAR(16) NOT NULL,
                      result CLOB,
                      attempts INT DEFAULT 0 NOT NULL,
                      verdicts INT DEFAULT 0 NOT NULL,
                      created TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
                      PRIMARY KEY (kind, file))""");
        }
    }

    synchronized Outcome submit(String kind, String file, String request) throws SQLException {
        Optional<Job> old = get(kind, file);
        if (old.isEmpty()) {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO jobs (kind, file, request, status) VALUES (?, ?, ?, 'pending')")) {
                p.setString(1, kind);
                p.setString(2, file);
                p.setString(3, request);
                p.executeUpdate();
                return Outcome.CREATED;
            } catch (SQLIntegrityConstraintViolationException e) {
                old = get(kind, file);
            }
        }
        Job j = old.orElseThrow();
        if (!j.request().equals(request)) {
            return Outcome.CONFLICT;
        }
        if (j.status().equals("crashed")) {           // a crash is the server's failure, not a verdict: asking again runs it again
            try (PreparedStatement p = db.prepareStatement("UPDATE jobs SET status = 'pending', result = NULL WHERE kind = ? AND file = ? AND status = 'crashed'")) {
                p.setString(1, kind);
                p.setString(2, file);
                if (p.executeUpdate() == 1) {
                    return Outcome.REQUEUED;
                }
            }
        }
        return Outcome.EXISTING;
    }

    synchronized Optional<Job> get(String kind, String file) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT kind, file, request, status, result, attempts, verdicts FROM jobs WHERE kind = ? AND file = ?")) {
            p.setString(1, kind);
            p.setString(2, file);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(job(r)) : Optional.empty();
            }
        }
    }

    /** Jobs without a verdict, oldest first (at start: the ones a stopped server accepted and did not finish). */
    synchronized List<Job> pending() throws SQLException {
        List<Job> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT kind, file, request, status, result, attempts, verdicts FROM jobs WHERE status = 'pending' ORDER BY created")) {
            while (r.next()) {
                out.add(job(r));
            }
        }
        return out;
    }

    synchronized void started(String kind, String file) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE jobs SET attempts = attempts + 1 WHERE kind = ? AND file = ?")) {
            p.setString(1, kind);
            p.setString(2, file);
            p.executeUpdate();
        }
    }

    /** Records the verdict; false when the job already had one (then nothing changes). */
    synchronized boolean finish(String kind, String file, String status, String result) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(
                "UPDATE jobs SET status = ?, result = ?, verdicts = verdicts + 1 WHERE kind = ? AND file = ? AND status = 'pending'")) {
            p.setString(1, status);
            p.setString(2, result);
            p.setString(3, kind);
            p.setString(4, file);
            return p.executeUpdate() == 1;
        }
    }

    private static Job job(ResultSet r) throws SQLException {
        return new Job(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getInt(6), r.getInt(7));
    }

    @Override
    public synchronized void close() throws SQLException {
        db.close();
    }
}

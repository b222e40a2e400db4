package dev.toploc.rollouts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Rollout rows from a Parquet file, read with the Apache Parquet Java library (parquet-hadoop's
 * {@link ParquetFileReader} on a {@link LocalInputFile}, no Hadoop file system), one row group at a time and
 * only the named columns. Lists may be 3-level ({@code LIST} of a repeated group of one element, as pyarrow
 * writes them) or 2-level (a repeated primitive); ids may be int32 or int64.
 */
final class ParquetRollouts {
    private ParquetRollouts() {
    }

    /** A row group whose data is larger than this is refused (it would be held in memory). */
    static final long MAX_ROW_GROUP_BYTES = 1L << 30;
    /** A list with more ids than this is a malformed row (no model has such a context). */
    static final int MAX_IDS = 1 << 24;

    static void read(Path file, Columns cols, Consumer<Row> sink) throws IOException, RolloutFormatException {
        ParquetReadOptions opts = ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file), opts)) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            List<Type> wanted = new ArrayList<>();
            for (String c : new String[] {cols.prompt(), cols.completion(), cols.proofs()}) {
                if (!schema.containsField(c)) {
                    throw new RolloutFormatException("column '" + c + "' not found (columns: " + names(schema) + ")");
                }
                wanted.add(schema.getType(c));
            }
            for (String c : new String[] {cols.seed(), cols.temperature()}) {
                if (c != null && schema.containsField(c)) {
                    wanted.add(schema.getType(c));
                }
            }
            MessageType projection = new MessageType(schema.getName(), wanted);
            r.setRequestedSchema(projection);
            int g = 0;
            for (BlockMetaData b : r.getRowGroups()) {
                if (b.getTotalByteSize() > MAX_ROW_GROUP_BYTES) {
                    throw new RolloutFormatException("row group " + g + " holds " + b.getTotalByteSize() + " bytes, more than the limit of "
                            + MAX_ROW_GROUP_BYTES + " (write smaller row groups)");
                }
                g++;
            }
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection);
            int index = 0;
            int group = 0;
            PageReadStore pages;
            while ((pages = r.readNextRowGroup()) != null) {
                RecordReader<Group> rr = io.getRecordReader(pages, new GroupRecordConverter(projection));
                for (long i = 0; i < pages.getRowCount(); i++, index++) {
                    Group row;
                    try {
                        row = rr.read();
                    } catch (RuntimeException e) {
                        throw new RolloutFormatException("row group " + group + ", row " + index + ": cannot be decoded (" + e.getMessage() + ")", e);
                    }
                    sink.accept(toRow(index, row, cols));
                }
                group++;
            }
        } catch (RuntimeException e) {   // the library's unchecked errors on a corrupt file
            throw new RolloutFormatException("not a readable Parquet file (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
    }

    private static String names(GroupType t) {
        return String.join(", ", t.getFields().stream().map(Type::getName).toList());
    }

    static Row toRow(int index, Group g, Columns cols) {
        try {
            int[] p = ids(g, cols.prompt());
            int[] c = ids(g, cols.completion());
            byte[] proofs = proofs(g, cols.proofs());
            Long seed = cols.seed() != null && g.getType().containsField(cols.seed()) && g.getFieldRepetitionCount(cols.seed()) > 0
                    ? integer(g, cols.seed()) : null;
            Double temp = cols.temperature() != null && g.getType().containsField(cols.temperature())
                    && g.getFieldRepetitionCount(cols.temperature()) > 0 ? real(g, cols.temperature()) : null;
            return new Row(index, new Sample(index, p, c, proofs, seed, temp), null);
        } catch (BadRow e) {
            return Row.bad(index, e.getMessage());
        }
    }

    /** A row field that is not what it must be. */
    static final class BadRow extends Exception {
        private static final long serialVersionUID = 1L;

        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    private static int[] ids(Group g, String name) throws BadRow {
        if (g.getFieldRepetitionCount(name) == 0) {
            throw new BadRow(name + " is null (expected a list of token ids)");
        }
        Type t = g.getType().getType(name);
        List<Long> values = new ArrayList<>();
        if (t.isPrimitive()) {                        // 2-level: a repeated primitive
            int n = g.getFieldRepetitionCount(name);
            for (int i = 0; i < n; i++) {
                values.add(intAt(g, name, i, name));
                if (values.size() > MAX_IDS) {
                    throw new BadRow(name + " has more than " + MAX_IDS + " ids");
                }
            }
        } else {
            Group list = g.getGroup(name, 0);
            GroupType lt = t.asGroupType();
            if (lt.getFieldCount() != 1) {
                throw new BadRow(name + " is a group of " + lt.getFieldCount() + " fields, expected a list of token ids");
            }
            Type rep = lt.getType(0);
            int n = list.getFieldRepetitionCount(0);
            if (n > MAX_IDS) {
                throw new BadRow(name + " has " + n + " ids, more than " + MAX_IDS);
            }
            for (int i = 0; i < n; i++) {
                if (rep.isPrimitive()) {
                    values.add(intAt(list, rep.getName(), i, name));
                } else {
                    Group el = list.getGroup(0, i);
                    GroupType et = rep.asGroupType();
                    if (et.getFieldCount() != 1 || !et.getType(0).isPrimitive()) {
                        throw new BadRow(name + " is not a list of integers (element type " + et + ")");
                    }
                    if (el.getFieldRepetitionCount(0) == 0) {
                        throw new BadRow(name + " element " + i + " is null (expected a token id)");
                    }
                    values.add(intAt(el, et.getType(0).getName(), 0, name + " element " + i));
                }
            }
        }
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            long v = values.get(i);
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new BadRow(name + " element " + i + " is " + v + " (expected a token id >= 0)");
            }
            out[i] = (int) v;
        }
        return out;
    }

    private static long intAt(Group g, String field, int i, String what) throws BadRow {
        PrimitiveType pt = g.getType().getType(field).asPrimitiveType();
        return switch (pt.getPrimitiveTypeName()) {
            case INT32 -> g.getInteger(field, i);
            case INT64 -> g.getLong(field, i);
            default -> throw new BadRow(what + " holds " + pt.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT)
                    + " values, expected integer token ids");
        };
    }

    private static byte[] proofs(Group g, String name) throws BadRow {
        if (g.getFieldRepetitionCount(name) == 0) {
            throw new BadRow(name + " is null (expected binary proofs; prime-rl stores b\"\" for outputs of at most one token)");
        }
        Type t = g.getType().getType(name);
        if (t.isPrimitive() && t.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
            if (t.isRepetition(Type.Repetition.REPEATED)) {
                throw new BadRow(name + " is a repeated binary, expected one binary or string value per row");
            }
            return g.getBinary(name, 0).getBytes();
        }
        if (!t.isPrimitive() && t.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
            // a list of base64 strings: read as the JSON list layout
            Group list = g.getGroup(name, 0);
            Type rep = t.asGroupType().getType(0);
            StringBuilder json = new StringBuilder("[");
            for (int i = 0; i < list.getFieldRepetitionCount(0); i++) {
                String s;
                if (rep.isPrimitive()) {
                    s = list.getString(0, i);
                } else {
                    Group el = list.getGroup(0, i);
                    if (el.getFieldRepetitionCount(0) == 0) {
                        throw new BadRow(name + " element " + i + " is null (expected a base64 proof)");
                    }
                    s = el.getString(0, 0);
                }
                json.append(i > 0 ? "," : "").append(dev.toploc.rollouts.ResultJson.JSON.valueToTree(s).toString());
            }
            return json.append(']').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        throw new BadRow(name + " has type " + t + ", expected binary (or a string, or a list of base64 strings)");
    }

    private static long integer(Group g, String name) throws BadRow {
        return intAt(g, name, 0, name);
    }

    private static double real(Group g, String name) throws BadRow {
        PrimitiveType pt = g.getType().getType(name).asPrimitiveType();
        return switch (pt.getPrimitiveTypeName()) {
            case DOUBLE -> g.getDouble(name, 0);
            case FLOAT -> Double.parseDouble(Float.toString(g.getFloat(name, 0)));   // the float as written (0.6, not 0.6000000238)
            case INT32 -> g.getInteger(name, 0);
            case INT64 -> g.getLong(name, 0);
            default -> throw new BadRow(name + " is " + pt.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT) + ", expected a number");
        };
    }
}

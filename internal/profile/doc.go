// Package profile computes profiles of tabular data — CSV and Parquet — in one
// streaming pass and in memory bounded by the number of columns, never by the
// number of rows.
//
// A Profile is what Lathe stores with a tabular data asset version and what
// the drift monitors later use as the training reference: the inferred schema,
// the row count, and per column the null rate, the distinct count, numeric
// summaries (min, max, mean, standard deviation, quantiles and a histogram),
// the most frequent values of text columns, and the range of datetimes. Diff
// compares the schemas of two profiles.
//
// The package is pure logic over io.Reader and io.ReaderAt: it opens no files
// and reads no clock, and the same input always yields the same Profile, down
// to the bytes of its JSON encoding.
//
// # Exact below a limit, sketches above it
//
// Each column keeps an exact table of its distinct values (up to
// Options.ExactDistinct, 10,000 by default) with their counts. While that table
// holds, the distinct count, the top values, the quantiles and the histogram
// are exact. When a column exceeds it, the table is folded into sketches of
// fixed size and the affected figures are marked approximate:
//
//   - distinct count: a HyperLogLog with 2^14 one-byte registers, estimated
//     with Ertl's improved raw estimator (no bias tables); relative standard
//     error 1.04/sqrt(2^14) ≈ 0.81 %, so within ±2.5 % with probability > 99 %;
//   - quantiles: a KLL sketch with k = 1024 (≈ 3,000 retained values); its
//     normalized rank error is below 0.5 % with probability > 99 % (a p99
//     estimate lies between the true p98.5 and p99.5);
//   - histogram: 20 equal-width bins between the exact min and max whose
//     counts are read from the KLL sketch's CDF (there is no second pass); each
//     count is within ±1 % of the row count, usually far closer;
//   - top values: SpaceSaving with 1,024 counters, each count over-estimating
//     by at most Count/1024.
//
// The random choices of the sketches come from fixed seeds, so results are
// deterministic. Distinct values are compared as (trimmed) text, so 1 and 1.0
// are two values of a CSV column; keys longer than 64 bytes are kept as a
// prefix and a 64-bit hash. Numeric and datetime columns past the limit do
// not keep top values; should such a column turn out to be text after all,
// its top values are counted from its first non-numeric value on.
//
// # Types
//
// A CSV column's type is the narrowest that every non-null value parses as:
// bool (true/false in any letter case only — yes/no, y/n and 0/1 stay text or
// int, because such columns are usually labels or flags that models treat as
// categories), int (64-bit), float (decimal notation with an optional
// exponent; no hex, inf or thousands separators), datetime, else string.
// Datetimes are ISO 8601 dates (yyyy-mm-dd or yyyy/mm/dd) or slash dates
// (mm/dd/yyyy, or dd/mm/yyyy when some value only reads that way), each
// optionally followed by 'T' or a space, hh:mm[:ss[.fraction]] and a zone
// (Z, ±hh:mm, ±hhmm, ±hh) — which covers RFC 3339; times without a zone are
// read as UTC. A string column whose values repeat — at most 1,000 distinct
// values, counted exactly, and at most half as many distinct values as
// non-null values — is marked categorical. Values are trimmed of surrounding
// spaces and tabs before they are typed, counted or compared. Null tokens are
// the empty cell and NA, N/A, n/a, NaN, nan, -NaN, -nan, null, NULL, None,
// <NA> and #N/A, unless CSVOptions.NullValues replaces them.
//
// # CSV
//
// ProfileCSV reads RFC 4180 CSV: fields separated by a delimiter, records by
// LF or CRLF, fields that start with the quote character (spaces before and
// after the quotes are allowed) may hold delimiters, newlines and doubled
// quotes. A UTF-8 byte-order mark is skipped; blank lines are skipped and not
// counted.
//
// Unless given, the delimiter and the header are detected from the first
// 64 KiB (at most 100 records). The delimiter is the one of ',', ';', tab and
// '|' that splits the most records into the same number (at least two) of
// fields; ties go to more fields, then to that order. The first record is a
// header when all its cells are non-null, distinct and text (not numbers,
// bools or datetimes), and either some later sampled cell in its columns is a
// number, bool or datetime, or — when every sampled cell is text — none of its
// cells appears again further down its own column. A file without a header
// gets columns column_1, column_2, …; empty header cells get that name too,
// and repeated names get a .1, .2, … suffix, as in pandas.
//
// Problems — a row with more or fewer fields than the header, invalid UTF-8,
// a quote where RFC 4180 allows none, a quoted field never closed — are
// reported with the line on which their record starts. In lenient mode (the
// default) the profile records them (up to Options.MaxProblems, with the
// total in ProblemCount) and goes on: missing cells count as nulls, extra
// cells are dropped, invalid bytes become U+FFFD, stray quotes are kept as
// text. With CSVOptions.Strict the first problem refuses the input with
// lathe.EINVALID. Limits (MaxColumns, MaxRecordBytes) refuse the input in
// either mode.
//
// # Parquet
//
// ProfileParquet takes each leaf column's type from the file's schema (dates
// and timestamps, including legacy INT96, become datetime; decimals float;
// strings, enums, JSON, UUIDs and plain binary string) and reads the columns
// page by page, two or more at a time.
package profile

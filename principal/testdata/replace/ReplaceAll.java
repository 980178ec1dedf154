// ReplaceAll runs Java's String.replaceAll on each case of cases.tsv
// (input TAB pattern TAB replacement) and prints input, pattern,
// replacement and the result, or "!" and the exception message.
// Strings are percent-encoded like PrintDN. Run by regen.sh.
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

public class ReplaceAll {
    static String enc(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int v = b & 0xff;
            if (v < 0x20 || v > 0x7e || v == '%') {
                sb.append(String.format("%%%02X", v));
            } else {
                sb.append((char) v);
            }
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String result;
            try {
                result = enc(f[0].replaceAll(f[1], f[2]));
            } catch (RuntimeException e) {
                result = "!" + enc(String.valueOf(e.getMessage()));
            }
            out.println(enc(f[0]) + "\t" + enc(f[1]) + "\t" + enc(f[2]) + "\t" + result);
        }
    }
}

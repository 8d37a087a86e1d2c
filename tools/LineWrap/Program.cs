using System.Text;

namespace LineWrap;

/// <summary>
/// `LineWrap [--check] DIR...`: wraps every *.cs file under the folders (bin/ and obj/ skipped) to
/// <see cref="LineWrapper.MaxWidth"/> columns, or with --check lists the lines over it and exits 1.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var check = false;
        var folders = new List<string>();
        foreach (var arg in args)
        {
            if (arg == "--check")
            {
                check = true;
            }
            else if (arg == "--keep-interpolated")
            {
                LineWrapper.KeepInterpolatedStrings = true;
            }
            else if (arg.StartsWith('-'))
            {
                Console.Error.WriteLine($"LineWrap: unknown option '{arg}'; usage: LineWrap [--check] " +
                    $"[--keep-interpolated] DIR...");
                return 2;
            }
            else if (!Directory.Exists(arg))
            {
                Console.Error.WriteLine($"LineWrap: folder '{arg}' does not exist; pass folders holding *.cs files.");
                return 2;
            }
            else
            {
                folders.Add(arg);
            }
        }

        if (folders.Count == 0)
        {
            Console.Error.WriteLine(
                "LineWrap: no folder given; usage: LineWrap [--check] [--keep-interpolated] DIR...");
            return 2;
        }

        var files = folders
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            .Where(path => !IsBuildOutput(path))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        var linesBefore = 0;
        var linesAfter = 0;
        var filesChanged = 0;
        foreach (var path in files)
        {
            var bytes = File.ReadAllBytes(path);
            var hasBom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
            var source = new UTF8Encoding(false).GetString(bytes, hasBom ? 3 : 0, bytes.Length - (hasBom ? 3 : 0));
            linesBefore += LongLines(source).Count();
            var result = check ? source : LineWrapper.Wrap(source);
            foreach (var (number, length) in LongLines(result))
            {
                linesAfter++;
                Console.WriteLine($"{path}:{number}: {length} columns" + (check ? "" : " (left alone: no break fits)"));
            }

            if (result != source)
            {
                filesChanged++;
                WriteAtomically(path, result, hasBom);
            }
        }

        Console.WriteLine(check
            ? $"{linesAfter} line(s) over {LineWrapper.MaxWidth} columns in {files.Count} file(s)."
            : $"{files.Count} file(s), {filesChanged} rewritten; lines over {LineWrapper.MaxWidth} columns: " +
              $"{linesBefore} before, {linesAfter} after.");
        return check && linesAfter > 0 ? 1 : 0;
    }

    private static bool IsBuildOutput(string path) =>
        path.Replace('\\', '/').Split('/').Any(part => part is "bin" or "obj");

    private static IEnumerable<(int Number, int Length)> LongLines(string source)
    {
        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var length = lines[i].TrimEnd('\r').Length;
            if (length > LineWrapper.MaxWidth)
            {
                yield return (i + 1, length);
            }
        }
    }

    private static void WriteAtomically(string path, string text, bool bom)
    {
        var temporary = path + ".linewrap.tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(bom));
        File.Move(temporary, path, overwrite: true);
    }
}

using System.Globalization;
using System.Text;

namespace FpQuant.Core;

/// <summary>
/// The one rule for text that ends up in an error line: a single line, at most <see cref="MaxLength"/> characters.
/// Hostile files put newlines, control characters and megabytes of names into whatever an error quotes.
/// </summary>
internal static class ErrorText
{
    public const int MaxLength = 1000;

    /// <summary>Control characters (newlines included) become spaces, runs of spaces collapse, and text beyond
    /// <paramref name="maxLength"/> is cut with a marker saying how much was left out.</summary>
    public static string OneLine(string? text, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(Math.Min(text.Length, maxLength + 32));
        bool space = false;
        int i = 0;
        for (; i < text.Length && sb.Length < maxLength; i++)
        {
            char c = text[i];
            bool blank = char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) && !IsPairAt(text, i);
            if (blank)
            {
                if (!space && sb.Length > 0) sb.Append(' ');
                space = true;
                continue;
            }
            if (char.IsHighSurrogate(c)) { sb.Append(c).Append(text[++i]); space = false; continue; }
            sb.Append(c);
            space = false;
        }
        string s = sb.ToString().TrimEnd();
        return i < text.Length ? $"{s}... ({text.Length - i} more characters)" : s;
    }

    /// <summary>A value quoted inside an error: one line, short, and exact: control characters are escaped (\n, \t,
    /// \u0001) rather than blanked, and spaces are kept, so the user sees the very name a file held
    /// ("OrderedDict " is not "OrderedDict").</summary>
    public static string Quote(string? text, int maxLength = 80)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        int i = 0;
        for (; i < text.Length && sb.Length < maxLength; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && IsPairAt(text, i)) { sb.Append(c).Append(text[++i]); continue; }
            if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (char.IsControl(c) || char.IsSurrogate(c) || (char.IsWhiteSpace(c) && c != ' '))
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return i < text.Length ? $"{sb}... ({text.Length - i} more characters)" : sb.ToString();
    }

    private static bool IsPairAt(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
}

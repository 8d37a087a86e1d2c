using Spectre.Console;

namespace FpQuant.Cli;

/// <summary>
/// Where the CLI prints. A terminal gets Spectre's defaults (its real width, colours, live progress); redirected
/// output (a file, a pipe, a test's capture) gets plain text at the tables' natural width, because Spectre would
/// otherwise assume 80 columns and wrap a wide table into unreadable slivers.
/// </summary>
internal static class CliConsole
{
    /// <summary>The width given to redirected output: wider than any table the CLI prints, so none is wrapped.
    /// Tables are not expanded, so lines are only as long as their content.</summary>
    public const int RedirectedWidth = 4096;

    /// <summary>Longest error line printed; a longer message (a hostile file's contents echoed back) is cut.</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>Points Spectre's AnsiConsole at the current Console.Out, configured for a terminal or not.</summary>
    public static void Configure(bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = RedirectedWidth;
        AnsiConsole.Console = console;
    }

    /// <summary>True when stdout is a terminal (not a file or a pipe).</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected;

    /// <summary>One diagnostic line on stderr, always ending in "\n": line breaks inside the message become spaces and
    /// an overlong message is cut, so the next output never runs on and a log stays one line per error.</summary>
    public static void ErrorLine(string text)
    {
        Console.Error.Write(OneLine(text) + "\n");
        Console.Error.Flush();
    }

    /// <summary>The text on one line: each line break (with the next line's indentation) becomes "; ", tabs become
    /// spaces, other control characters are dropped; then capped at MaxErrorLength.</summary>
    public static string OneLine(string text)
    {
        var sb = new System.Text.StringBuilder(Math.Min(text.Length, MaxErrorLength) + 16);
        bool pendingBreak = false;
        foreach (char c in text.Trim())
        {
            if (c is '\r' or '\n') { pendingBreak = true; continue; }
            if (pendingBreak && c is ' ' or '\t') continue; // the next line's indentation
            if (pendingBreak) { sb.Append("; "); pendingBreak = false; }
            if (c == '\t') sb.Append(' ');
            else if (!char.IsControl(c)) sb.Append(c);
            if (sb.Length > MaxErrorLength) { sb.Length = MaxErrorLength; sb.Append(" ... (cut)"); break; }
        }
        return sb.ToString();
    }
}

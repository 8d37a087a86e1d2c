using System.Text.RegularExpressions;

namespace FpQuant.Quantization;

/// <summary>
/// Chooses nodes by exact name or by glob on the module path ('*' any run of characters, '?' one character),
/// so that '--exclude *att*' or '--exclude trans_head.*' keep whole modules float.
/// </summary>
internal sealed class NodeSelector
{
    private readonly List<Regex> _include;
    private readonly List<Regex> _exclude;

    public NodeSelector(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        _include = include.Select(Compile).ToList();
        _exclude = exclude.Select(Compile).ToList();
    }

    public static Regex Compile(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);

    public static bool Matches(string glob, string name) => Compile(glob).IsMatch(name);

    /// <summary>
    /// A glob that selects the node of this name (a '*' in the name becomes '?', which still matches it).
    /// </summary>
    public static string ForName(string name) => name.Replace("*", "?");

    public bool Selects(string nodeName)
    {
        if (_exclude.Any(r => r.IsMatch(nodeName))) return false;
        return _include.Count == 0 || _include.Any(r => r.IsMatch(nodeName));
    }
}

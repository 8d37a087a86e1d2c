namespace FpQuant.Core;

internal static class ToolInfo
{
    /// <summary>
    /// The tool version written into models and reports (fixed per build so outputs stay deterministic).
    /// </summary>
    public static string Version => typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

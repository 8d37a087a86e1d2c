using System.Text.Json;
using System.Text.Json.Serialization;

namespace FpQuant.Core;

/// <summary>How every report file (bench, sensitivity) is written as JSON: indented, camelCase, enums by name, and
/// NaN/infinity allowed because a failed measurement is reported, not dropped.</summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Indented, member names exactly as declared (files whose names are spelled out, e.g. snake_case).
    /// </summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

using FpQuant.Core;

namespace FpQuant.Networks;

internal static class NetworkNames
{
    public const int CropSize = 160;
    public const int Channels = 6;

    public static NetworkKind ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "refine" or "refinenet" => NetworkKind.Refine,
        "score" or "scorenet" or "scorenetmultipair" => NetworkKind.Score,
        _ => throw new FpQuantException($"unknown network '{text}': use refine or score"),
    };

    public static string Id(this NetworkKind k) => k == NetworkKind.Refine ? "refine" : "score";
    public static string ClassName(this NetworkKind k) => k == NetworkKind.Refine ? "RefineNet" : "ScoreNetMultiPair";
    public static string Id(this ModelLayout l) => l == ModelLayout.Nchw ? "nchw" : "isaac";

    /// <summary>The rendered and observed input names of a layout.</summary>
    public static (string Rendered, string Observed) InputNames(ModelLayout layout) =>
        layout == ModelLayout.Nchw ? ("A", "B") : ("input1", "input2");

    public static string[] OutputNames(NetworkKind kind, ModelLayout layout) => (kind, layout) switch
    {
        (NetworkKind.Refine, ModelLayout.Nchw) => new[] { "trans", "rot" },
        (NetworkKind.Refine, ModelLayout.Isaac) => new[] { "output1", "output2" },
        (NetworkKind.Score, ModelLayout.Nchw) => new[] { "score_logit" },
        _ => new[] { "output1" },
    };
}

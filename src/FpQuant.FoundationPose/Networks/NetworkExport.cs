using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Networks;

/// <summary>The export verb as a library call: weights in, ONNX model out.</summary>
internal static class NetworkExport
{
    public static ModelProto Build(NetworkKind kind, string weights, ModelLayout layout = ModelLayout.Nchw)
    {
        var sd = WeightSource.Load(kind, weights);
        return FoundationPoseGraph.Build(kind, sd, layout, WeightSource.Describe(kind, weights));
    }

    public static void Export(NetworkKind kind, string weights, ModelLayout layout, string outPath) =>
        OnnxModelFile.Save(Build(kind, weights, layout), outPath);
}

using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Networks;

/// <summary>FoundationPose's networks as ONNX files: weights in, ONNX model out.</summary>
public static class NetworkExport
{
    internal static ModelProto Build(NetworkKind kind, string weights, ModelLayout layout = ModelLayout.Nchw)
    {
        var sd = WeightSource.Load(kind, weights);
        return FoundationPoseGraph.Build(kind, sd, layout, WeightSource.Describe(kind, weights));
    }

    /// <summary>Builds one network's ONNX graph from weights and writes it (atomically) to <paramref name="outPath"/>.
    /// The same inputs give a byte-identical file.</summary>
    /// <param name="kind">Which network.</param>
    /// <param name="weights"><c>synthetic:SEED</c> (deterministic synthetic weights) or the network's FoundationPose
    /// checkpoint (<c>model_best.pth</c>).</param>
    /// <param name="layout">The inputs' layout: <see cref="ModelLayout.Nchw"/> (PyTorch's) or
    /// <see cref="ModelLayout.Isaac"/> (Isaac ROS's).</param>
    /// <param name="outPath">The ONNX file to write.</param>
    /// <exception cref="Core.FpQuantException">The weights cannot be read or are not that network's.</exception>
    public static void Export(NetworkKind kind, string weights, ModelLayout layout, string outPath) =>
        OnnxModelFile.Save(Build(kind, weights, layout), outPath);
}

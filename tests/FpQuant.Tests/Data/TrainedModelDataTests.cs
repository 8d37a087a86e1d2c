using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Data;

/// <summary>The data sources prepare inputs exactly as the trained models' own packages expect.</summary>
[Trait("Category", "Heavy")]
public class TrainedModelDataTests
{
    /// <summary>ResNet18's options as its NuGet package's ML.NET pipeline feeds it: RGB 0..255 pixels through
    /// ResNetPreprocess.onnx, which swaps to BGR and subtracts its mean image.</summary>
    public static ImageOptions ResNet18Options() =>
        new() { Scale = 1, Bgr = true, MeanImage = TrainedModels.ResNet18Preprocess };

    [Fact]
    public void Images_ForResNet18_EqualThePackagesOwnPreprocessingModel()
    {
        using var tmp = new TempDir();
        SyntheticPhotos.WriteFolder(tmp.Path, 2);
        var resnet = OnnxModelFile.Load(TrainedModels.ResNet18Model);
        var raw =
            new ImageInputSource(tmp.Path, null, new ImageOptions { Scale = 1 }).Batches(resnet, "resnet").ToList();
        var ours = new ImageInputSource(tmp.Path, null, ResNet18Options()).Batches(resnet, "resnet").ToList();
        Assert.Equal(2, ours.Count);
        using var prep = new ModelRunner(TrainedModels.ResNet18Preprocess, new RuntimeSettings { IntraOpThreads = 1 });
        for (int i = 0; i < 2; i++)
        {
            var expected = prep.Run(new Dictionary<string,
                FpQuant.Core.InputTensor> { ["OriginalInput"] = raw[i]["Input247"] })[0].Value.Data;
            var actual = (float[])ours[i]["Input247"].Data;
            Assert.Equal(expected.Length, actual.Length);
            for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 3);
        }
    }
}

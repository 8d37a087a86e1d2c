using FpQuant.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Tests.Quantization;

/// <summary>The trained models restored from NuGet are there and are what the other tests take them for.</summary>
[Trait("Category", "Heavy")]
public class TrainedModelFilesTests
{
    [Fact]
    public void MiniLmHasBertInputsAndItsVocab()
    {
        using var session = new InferenceSession(TrainedModels.MiniLmModel);
        Assert.Equal(new[] { "attention_mask", "input_ids", "token_type_ids" },
            session.InputMetadata.Keys.Order().ToArray());
        Assert.All(session.InputMetadata.Values, m => Assert.Equal(typeof(long), m.ElementType));
        var vocab = File.ReadAllLines(TrainedModels.MiniLmVocab);
        Assert.Equal(30522, vocab.Length);
        Assert.Equal("[CLS]", vocab[101]);
    }

    [Fact]
    public void ResNet18TakesOneImage()
    {
        using var session = new InferenceSession(TrainedModels.ResNet18Model);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal(new[] { 1, 3, 224, 224 }, input.Value.Dimensions);
    }
}

using FpQuant.Core;
using FpQuant.Runtime;

namespace FpQuant.Networks;

/// <summary>A refine or score model whose inputs are recognised from the file, fed with NCHW pairs whatever its layout.</summary>
public sealed class PairModel : IDisposable
{
    public ModelRunner Runner { get; }
    public ModelSignature Signature { get; }

    public PairModel(string modelPath, RuntimeSettings settings)
    {
        Runner = new ModelRunner(modelPath, settings);
        try { Signature = ModelSignature.Of(Runner, $"model '{modelPath}'"); }
        catch { Runner.Dispose(); throw; }
    }

    public PairModel(string modelPath, ModelSignature signature, RuntimeSettings settings)
    {
        Signature = signature;
        Runner = new ModelRunner(modelPath, settings);
    }

    /// <summary>Runs N pairs given as NCHW (N x 6 x 160 x 160) rendered and observed crops.</summary>
    public List<(string Name, FloatTensor Value)> Run(FloatTensor renderedNchw, FloatTensor observedNchw)
    {
        return Runner.Run(Signature.Feeds(renderedNchw, observedNchw));
    }

    public void Dispose() => Runner.Dispose();
}

using FpQuant.Core;
using FpQuant.Runtime;

namespace FpQuant.Networks;

/// <summary>
/// A refine or score model whose inputs are recognised from the file, fed with NCHW pairs whatever its layout.
/// </summary>
internal sealed class CropPairSession : IDisposable
{
    public ModelRunner Runner { get; }
    public ModelSignature Signature { get; }
    /// <summary>The model's size in bytes (its file, or the bytes it was made from).</summary>
    public long ModelBytes { get; }

    private BatchBinding? _bound;
    /// <summary>NCHW staging for a model of the NHWC layout, which is transposed into the bound inputs.</summary>
    private float[]? _nchwRendered, _nchwObserved;

    public CropPairSession(string modelPath, RuntimeSettings settings)
    {
        Runner = new ModelRunner(modelPath, settings);
        try { Signature = ModelSignature.Of(Runner, $"model '{modelPath}'"); }
        catch { Runner.Dispose(); throw; }
        ModelBytes = new FileInfo(modelPath).Length;
    }

    public CropPairSession(string modelPath, ModelSignature signature, RuntimeSettings settings)
    {
        Signature = signature;
        Runner = new ModelRunner(modelPath, settings);
        ModelBytes = new FileInfo(modelPath).Length;
    }

    /// <summary>A session over a model held in memory, named <paramref name="description"/> in errors.</summary>
    public CropPairSession(byte[] model, string description, ModelSignature signature, RuntimeSettings settings)
    {
        Signature = signature;
        Runner = new ModelRunner(model, description, settings);
        ModelBytes = model.Length;
    }

    /// <summary>Runs N pairs given as NCHW (N x 6 x 160 x 160) rendered and observed crops.</summary>
    public List<(string Name, FloatTensor Value)> Run(FloatTensor renderedNchw, FloatTensor observedNchw)
    {
        return Runner.Run(Signature.Feeds(renderedNchw, observedNchw));
    }

    /// <summary>Where to write <paramref name="count"/> NCHW pairs for <see cref="RunPooled"/>: buffers that live as
    /// long as the model and grow only when a larger batch than any before is asked for.</summary>
    public (Memory<float> Rendered, Memory<float> Observed) PooledInputs(int count)
    {
        var bound = Bound(count);
        if (Signature.Layout == ModelLayout.Nchw) return (bound.Input(0, count), bound.Input(1, count));
        int len = checked(count * CropLayout.PairFloats);
        return (_nchwRendered.AsMemory(0, len), _nchwObserved.AsMemory(0, len));
    }

    /// <summary>Runs the <paramref name="count"/> pairs written into <see cref="PooledInputs"/>; each float output
    /// goes to <paramref name="sink"/> (output index, values, shape) while ONNX Runtime's buffer is alive.
    /// <paramref name="endsPhase"/>: no run of this model follows soon, so a shrinking arena is released.</summary>
    public void RunPooled(int count, Action<int, ReadOnlySpan<float>, long[]> sink, bool endsPhase)
    {
        var bound = Bound(count);
        if (Signature.Layout != ModelLayout.Nchw)
        {
            int len = checked(count * CropLayout.PairFloats);
            CropLayout.NchwToNhwc(_nchwRendered.AsSpan(0, len), bound.Input(0, count).Span, count);
            CropLayout.NchwToNhwc(_nchwObserved.AsSpan(0, len), bound.Input(1, count).Span, count);
        }
        bound.Run(count, sink, endsPhase);
    }

    private BatchBinding Bound(int count)
    {
        if (_bound != null && _bound.Capacity >= count) return _bound;
        _bound?.Dispose();
        var item = Signature.InputShape(1)[1..];
        _bound = Runner.Bind(new[] { (Signature.RenderedInput, item), (Signature.ObservedInput, item) }, count,
            Signature.Outputs);
        if (Signature.Layout != ModelLayout.Nchw)
        {
            _nchwRendered = new float[(long)count * CropLayout.PairFloats];
            _nchwObserved = new float[(long)count * CropLayout.PairFloats];
        }
        return _bound;
    }

    public void Dispose()
    {
        _bound?.Dispose();
        _bound = null;
        Runner.Dispose();
    }

    /// <summary>Creates both sessions and orders them by what each model is (its outputs), refine first.</summary>
    public static (CropPairSession Refine, CropPairSession Score) OpenRefineAndScore(string a, string b,
        RuntimeSettings runtime)
    {
        var first = new CropPairSession(a, runtime);
        CropPairSession second;
        try { second = new CropPairSession(b, runtime); }
        catch { first.Dispose(); throw; }
        if (first.Signature.Kind != second.Signature.Kind)
            return first.Signature.Kind == NetworkKind.Refine ? (first, second) : (second, first);
        string kind = first.Signature.Kind.Id();
        first.Dispose();
        second.Dispose();
        throw new FpQuantException($"'{a}' and '{b}' are both {kind} models; give one refine and one score model");
    }
}

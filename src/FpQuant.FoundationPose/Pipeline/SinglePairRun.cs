using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Runtime;

namespace FpQuant.Pipeline;

/// <summary>
/// One refine or score model run on one crop pair at a time over buffers bound once (<see cref="BoundRun"/>): what a
/// tracking frame calls every iteration, with no tensor allocated per run. Pairs come in as NCHW planes and are copied
/// (or, for an NHWC model such as Isaac ROS's, transposed) into the model's bound inputs.
/// </summary>
internal sealed class SinglePairRun : IDisposable
{
    private readonly BoundRun _run;
    private readonly ModelLayout _layout;
    public CropPairSession Model { get; }

    public SinglePairRun(CropPairSession model)
    {
        Model = model;
        var sig = model.Signature;
        _layout = sig.Layout;
        long[] shape = sig.InputShape(1).Select(d => (long)d).ToArray();
        long[] outShape = sig.Kind == NetworkKind.Refine ? new long[] { 1, 3 } : new long[] { 1, 1 };
        _run = new BoundRun(model.Runner, new[] { (sig.RenderedInput, shape), (sig.ObservedInput, shape) },
            sig.Outputs.Select(o => (o, outShape)).ToArray());
    }

    /// <summary>Runs the model on one pair, each <see cref="CropPair.Floats"/> floats of NCHW planes.</summary>
    public void Run(ReadOnlySpan<float> renderedNchw, ReadOnlySpan<float> observedNchw)
    {
        if (renderedNchw.Length != CropPair.Floats || observedNchw.Length != CropPair.Floats)
            throw new ArgumentException($"a pair is two crops of {CropPair.Floats} floats");
        Fill(renderedNchw, _run.Input(0));
        Fill(observedNchw, _run.Input(1));
        _run.Run();
    }

    /// <summary>Output <paramref name="i"/> of the last run, in the signature's output order (refine: trans, rot).</summary>
    public ReadOnlySpan<float> Output(int i) => _run.Output(i);

    private void Fill(ReadOnlySpan<float> nchw, float[] input)
    {
        if (_layout == ModelLayout.Nchw) { nchw.CopyTo(input); return; }
        int plane = CropPair.Size * CropPair.Size, c = NetworkNames.Channels;
        for (int ch = 0; ch < c; ch++)
        {
            var src = nchw.Slice(ch * plane, plane);
            for (int i = 0; i < plane; i++) input[i * c + ch] = src[i];
        }
    }

    public void Dispose() => _run.Dispose();
}

using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Runtime;

namespace FpQuant.Pipeline;

/// <summary>
/// One refine or score model run on one crop pair at a time over buffers bound once (<see cref="BatchBinding"/>): what
/// a
/// tracking frame calls every iteration, with no tensor allocated per run. Pairs come in as NCHW planes and are copied
/// (or, for an NHWC model such as Isaac ROS's, transposed) into the model's bound inputs. The tracking refiner and the
/// lost-track scorer are this with their outputs read.
/// </summary>
internal sealed class SinglePairRun : IDisposable
{
    private readonly BatchBinding _run;
    private readonly ModelLayout _layout;
    public CropPairSession Model { get; }

    /// <summary>The network and its file, for logs.</summary>
    public string Description { get; }

    /// <param name="kind">What <paramref name="model"/> must be; another kind is refused, the error ending with
    /// <paramref name="use"/> (what needs it).</param>
    /// <param name="network">The network's name in <see cref="Description"/>.</param>
    public SinglePairRun(CropPairSession model, NetworkKind kind, string network, string use)
    {
        int outputs = model.Signature.Outputs.Length;
        if (model.Signature.Kind != kind)
        {
            string expected = kind == NetworkKind.Refine ? "refine" : "score";
            throw new FpQuantException($"'{model.Runner.ModelPath}' is not a {expected} model " +
                $"(it has {outputs} output{(outputs == 1 ? "" : "s")}); {use}");
        }
        Model = model;
        Description = $"{network} '{Path.GetFileName(model.Runner.ModelPath)}'";
        var sig = model.Signature;
        _layout = sig.Layout;
        int[] item = sig.InputShape(1)[1..];
        int[] outItem = sig.Kind == NetworkKind.Refine ? new[] { 3 } : new[] { 1 };
        _run = model.Runner.BindWithOutputs(new[] { (sig.RenderedInput, item), (sig.ObservedInput, item) },
            sig.Outputs.Select(o => (o, outItem)).ToArray(), capacity: 1);
    }

    /// <summary>Runs the model on one pair, each <see cref="CropPair.Floats"/> floats of NCHW planes.</summary>
    public void Run(ReadOnlySpan<float> renderedNchw, ReadOnlySpan<float> observedNchw)
    {
        if (renderedNchw.Length != CropPair.Floats || observedNchw.Length != CropPair.Floats)
            throw new ArgumentException($"a pair is two crops of {CropPair.Floats} floats");
        Fill(renderedNchw, _run.Input(0, 1).Span);
        Fill(observedNchw, _run.Input(1, 1).Span);
        _run.Run(1);
    }

    /// <summary>
    /// Output <paramref name="i"/> of the last run, in the signature's output order (refine: trans, rot).
    /// </summary>
    public ReadOnlySpan<float> Output(int i) => _run.Output(i, 1);

    private void Fill(ReadOnlySpan<float> nchw, Span<float> input)
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

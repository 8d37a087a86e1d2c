using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// Real crops: each hypothesis rendered straight into its 160 x 160 window (parallel across hypotheses) and the
/// camera frame warped into the same window, both normalised with the refiner's or the scorer's thresholds.
/// </summary>
internal sealed class SceneCropSource : ICropSource
{
    private readonly Scene _scene;
    private readonly CropSettings _settings;
    private readonly bool _reuse;
    private readonly Dictionary<int, (float[] Rendered, float[] Observed)> _buffers = new();
    /// <summary>The render workers' targets, kept between batches: how many workers a parallel loop starts varies
    /// from call to call, so fresh targets per loop would cost a varying few MB on every warm frame.</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<RenderTarget> _targets = new();

    /// <param name="reuseBuffers">Return the same arrays for batches of the same size, so a 252-hypothesis frame
    /// does not fault in 300 MB of fresh memory each time. A batch is then valid only until the next call with the
    /// same count — which is how the first-frame loop uses it; callers that keep batches must leave this off.</param>
    public SceneCropSource(Scene scene, CropSettings? settings = null, bool reuseBuffers = false)
    {
        _scene = scene;
        _settings = settings ?? new CropSettings();
        _settings.Validate();
        _reuse = reuseBuffers;
    }

    public string Description => $"rendered and observed crops of {_scene.Description}";

    public CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration)
    {
        int s = NetworkNames.CropSize, n = s * s, c = NetworkNames.Channels;
        FloatTensor rendered, observed;
        if (_reuse)
        {
            if (!_buffers.TryGetValue(count, out var buf))
                _buffers[count] = buf = (new float[(long)count * c * n], new float[(long)count * c * n]);
            rendered = new FloatTensor(new[] { count, c, s, s }, buf.Rendered);
            observed = new FloatTensor(new[] { count, c, s, s }, buf.Observed);
        }
        else
        {
            rendered = new FloatTensor(count, c, s, s);
            observed = new FloatTensor(count, c, s, s);
        }
        var (render, crop) = Fill(poses, start, count, iteration, rendered.Data, observed.Data);
        return new CropBatch(rendered, observed, render, crop);
    }

    public (double RenderSeconds, double CropSeconds) Fill(IReadOnlyList<Pose> poses, int start, int count,
        int iteration, Memory<float> rendered, Memory<float> observed)
    {
        var (ratio, minDepth) = CropPair.Thresholds(_settings, scoring: iteration < 0);
        const int floats = CropPair.Floats;
        var k = _scene.Frame.K;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count,
            () => _targets.TryTake(out var pooled) ? pooled : new RenderTarget(CropPair.Size, CropPair.Size),
            (i, _, target) =>
            {
                CropPair.Render(_scene.Mesh, poses[start + i], k, _scene.Diameter, ratio, minDepth, target,
                    rendered.Span.Slice(i * floats, floats));
                return target;
            }, _targets.Add);
        double render = sw.Elapsed.TotalSeconds;
        sw.Restart();
        Parallel.For(0, count, i =>
            CropPair.Observe(_scene.Frame, _scene.FrameXyz, poses[start + i], _scene.Diameter, ratio, minDepth,
                observed.Span.Slice(i * floats, floats)));
        return (render, sw.Elapsed.TotalSeconds);
    }
}

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
public sealed class SceneCropSource : ICropSource
{
    private readonly Scene _scene;
    private readonly CropSettings _settings;
    private readonly bool _reuse;
    private readonly Dictionary<int, (float[] Rendered, float[] Observed)> _buffers = new();

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
        bool scoring = iteration < 0;
        double ratio = scoring ? _settings.ScoreCropRatio : _settings.RefineCropRatio;
        float minDepth = scoring ? CropNormalization.ScorerMinDepth : CropNormalization.RefinerMinDepth;
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
        var k = _scene.Frame.K;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count, () => new RenderTarget(s, s), (i, _, target) =>
        {
            var pose = poses[start + i];
            var w = CropWindow.For(pose.T, k, _scene.Diameter, ratio, s);
            var kc = w.Intrinsics(k);
            Rasterizer.Rasterize(_scene.Mesh, pose, kc, target);
            var slot = rendered.Data.AsSpan(i * c * n, c * n);
            MeshShader.Shade(_scene.Mesh, pose, kc, target, slot[..(3 * n)], slot[(3 * n)..]);
            CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, _scene.Diameter, minDepth);
            return target;
        }, _ => { });
        double render = sw.Elapsed.TotalSeconds;
        sw.Restart();
        Parallel.For(0, count, i =>
        {
            var pose = poses[start + i];
            var w = CropWindow.For(pose.T, k, _scene.Diameter, ratio, s);
            var slot = observed.Data.AsSpan(i * c * n, c * n);
            ObservedCrop.Warp(_scene.Frame, _scene.FrameXyz, w, slot[..(3 * n)], slot[(3 * n)..]);
            CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, _scene.Diameter, minDepth);
        });
        return new CropBatch(rendered, observed, render, sw.Elapsed.TotalSeconds);
    }
}

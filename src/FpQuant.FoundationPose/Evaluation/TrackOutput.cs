using System.Text.Json;
using System.Text.Json.Nodes;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using ScottPlot;

namespace FpQuant.Evaluation;

/// <summary>
/// What `fpquant track` writes: track.json (<c>{"variant", "median_ms", "frames": [{"frame", "pose", "ms",
/// "add_mm"}]}</c>, pose = 16 numbers row-major of the object's 4x4 pose in the camera, metres; ms = the tracking step
/// alone, render + crop + networks + update; add_mm only where the truth is known), a chart of error and latency over
/// the frames, and a PNG strip of a few frames with the pose drawn.
/// </summary>
internal static class TrackOutput
{
    public const string JsonFile = "track.json", ChartFile = "track.png", StripFile = "overlay-strip.png";

    /// <summary>
    /// The median of the tracked frames' step times in ms (registered frames are not tracking steps).
    /// </summary>
    public static double MedianMs(IReadOnlyList<TrackedFrame> frames)
    {
        var tracked = frames.Where(f => !f.Registered && f.Step != null).Select(f => 1000 * f.Seconds).ToList();
        return tracked.Count > 0 ? Summary.Of(tracked).Median : double.NaN;
    }

    public static double[] RowMajor4x4(Pose p) => new[]
    {
        p.R.M00, p.R.M01, p.R.M02, p.T.X, p.R.M10, p.R.M11, p.R.M12, p.T.Y, p.R.M20, p.R.M21, p.R.M22, p.T.Z, 0, 0, 0,
        1,
    };

    /// <summary>track.json. Frames the lost-track check ran on add nothing to a frame's entry; when the check is on,
    /// the flagged frames' ids are listed in "lost_frames" and re-registered ones in "registered_frames".</summary>
    public static string Json(string variant, IReadOnlyList<TrackedFrame> frames, bool lostCheck)
    {
        var list = new JsonArray();
        foreach (var f in frames)
        {
            var o = new JsonObject
            {
                ["frame"] = f.FrameId,
                ["pose"] = new JsonArray(RowMajor4x4(f.Pose).Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                ["ms"] = 1000 * f.Seconds,
            };
            if (f.Error is PoseError e) o["add_mm"] = e.AddMm;
            list.Add(o);
        }
        double median = MedianMs(frames);
        var root = new JsonObject { ["variant"] = variant, ["median_ms"] = double.IsNaN(median) ? null : median,
            ["frames"] = list };
        if (lostCheck)
        {
            root["lost_frames"] =
                new JsonArray(frames.Where(f => f.Lost).Select(f => (JsonNode)JsonValue.Create(f.FrameId)).ToArray());
            root["registered_frames"] = new JsonArray(frames.Where(f => f.Registered)
                .Select(f => (JsonNode)JsonValue.Create(f.FrameId)).ToArray());
        }
        return root.ToJsonString(ReportJson.Indented) + "\n";
    }

    /// <summary>ADD (left axis, when known) and the step's latency (right axis) against the frame.</summary>
    public static void WriteChart(string path, string variant, IReadOnlyList<TrackedFrame> frames)
    {
        var p = new Plot();
        var tracked = frames.Where(f => !f.Registered).ToList();
        var withError = frames.Where(f => f.Error != null).ToList();
        if (withError.Count > 0)
        {
            var s = p.Add.Scatter(withError.Select(f => (double)f.FrameId).ToArray(),
                withError.Select(f => f.Error!.Value.AddMm).ToArray());
            s.LegendText = "ADD (mm)";
            s.Color = Colors.SteelBlue;
            s.MarkerSize = 3;
            s.LineWidth = 2;
        }
        if (tracked.Count > 0)
        {
            var l = p.Add.Scatter(tracked.Select(f => (double)f.FrameId).ToArray(),
                tracked.Select(f => 1000 * f.Seconds).ToArray());
            l.LegendText = "tracking step (ms)";
            l.Color = Colors.DarkOrange;
            l.MarkerSize = 3;
            l.LineWidth = 1;
            l.Axes.YAxis = p.Axes.Right;
        }
        p.Title($"Tracking {variant}: error and latency per frame");
        p.XLabel("frame");
        p.Axes.Left.Label.Text = withError.Count > 0 ? "ADD against the truth (mm)" : "(no ground truth)";
        p.Axes.Right.Label.Text = "render + crop + networks + update (ms)";
        p.ShowLegend(Alignment.UpperLeft);
        AtomicFile.WriteAllBytes(path, p.GetImageBytes(1000, 500, ImageFormat.Png));
    }

    /// <summary>Up to <paramref name="count"/> frames spread over the sequence (first and last included), each with the
    /// tracked pose drawn and shrunk to half size, side by side in one PNG.</summary>
    public static void WriteStrip(string path, TrackSequence seq, IReadOnlyList<TrackedFrame> frames, int count = 4)
    {
        if (frames.Count == 0) throw new FpQuantException("no frames to draw");
        count = Math.Clamp(count, 1, frames.Count);
        var picks = Enumerable.Range(0, count)
            .Select(k => count == 1 ? 0 : (int)Math.Round((double)k * (frames.Count - 1) / (count - 1))).Distinct()
            .ToList();
        var scene = seq.First;
        int w = scene.Frame.Width / 2, h = scene.Frame.Height / 2, stripW = w * picks.Count;
        var strip = new ushort[3L * stripW * h];
        for (int k = 0; k < picks.Count; k++)
        {
            var f = frames[picks[k]];
            var frame = seq.Frame(f.Index);
            if (frame.Width / 2 != w || frame.Height / 2 != h)
                throw new FpQuantException($"{seq.Description}: frame {f.FrameId} is {frame.Width}x{frame.Height}, " +
                    $"the first {scene.Frame.Width}x{scene.Frame.Height}; frames of a sequence share a size");
            var px = Registration.OverlayPixels(frame, scene.Mesh, scene.FromMeshFrame(f.Pose));
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int a = 3 * ((2 * y) * frame.Width + 2 * x) + c, b = a + 3 * frame.Width;
                        strip[3L * (y * stripW + k * w + x) + c] =
                            (ushort)((px[a] + px[a + 3] + px[b] + px[b + 3] + 2) / 4);
                    }
        }
        Png.Write(path, new PngImage(stripW, h, 3, 8, strip));
    }
}

using System.Globalization;
using System.Text;
using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// Writes a dataset in the BOP format: models/ (PLY in mm, models_info.json), scenes with scene_camera.json,
/// scene_gt.json, scene_gt_info.json, rgb/ (PNG), depth/ (16-bit PNG; value x depth_scale = mm), mask/ and
/// mask_visib/, and test_targets_bop19.json. Every file is written atomically.
/// </summary>
internal sealed class BopWriter
{
    private readonly string _root;
    private readonly string _split;

    public BopWriter(string root, string split = "test") { _root = root; _split = split; }

    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private static string N(double v) => v.ToString("R", Ci);
    private static string List(IEnumerable<double> v) => "[" + string.Join(", ", v.Select(N)) + "]";
    private static string Ints(IEnumerable<int> v) => "[" + string.Join(", ", v.Select(x => x.ToString(Ci))) + "]";

    public static double[] RowMajor(Mat3 r) => new[] { r.M00, r.M01, r.M02, r.M10, r.M11, r.M12, r.M20, r.M21, r.M22 };

    /// <summary>models/obj_XXXXXX.ply (mesh in metres, written in mm; textured meshes with their texture beside),
    /// models_eval/ (the same surfaces evenly resampled, coarser, for the metrics) and models_info.json in
    /// both.</summary>
    public void WriteModels(IReadOnlyList<(int ObjId, TriMesh MeshMetres, IReadOnlyList<Pose> DiscreteSymmetriesMm,
        IReadOnlyList<BopContinuousSymmetry> Continuous)> models)
    {
        string dir = Path.Combine(_root, "models");
        var json = new StringBuilder("{\n");
        for (int k = 0; k < models.Count; k++)
        {
            var (id, mesh, disc, cont) = models[k];
            PlyWriter.Write(mesh, Path.Combine(dir, BopDataset.ModelFileName(id)), 1000);
            double diameter = mesh.Diameter();
            PlyWriter.Write(MeshResampling.Resample(mesh, diameter * MeshResampling.DefaultSpacingFraction),
                Path.Combine(_root, BopDataset.EvalModelsFolder, BopDataset.ModelFileName(id)), 1000,
                geometryOnly: true);
            var (lo, hi) = mesh.Bounds();
            var o = new List<string>
            {
                $"\"diameter\": {N(diameter * 1000)}",
                $"\"min_x\": {N(lo.X * 1000)}", $"\"min_y\": {N(lo.Y * 1000)}", $"\"min_z\": {N(lo.Z * 1000)}",
                $"\"size_x\": {N((hi.X - lo.X) * 1000)}", $"\"size_y\": {N((hi.Y - lo.Y) * 1000)}",
                $"\"size_z\": {N((hi.Z - lo.Z) * 1000)}",
            };
            if (disc.Count > 0)
                o.Add("\"symmetries_discrete\": [" + string.Join(", ", disc.Select(p => List(new[]
                {
                    p.R.M00, p.R.M01, p.R.M02, p.T.X, p.R.M10, p.R.M11, p.R.M12, p.T.Y, p.R.M20, p.R.M21, p.R.M22,
                    p.T.Z, 0, 0, 0, 1,
                }))) + "]");
            if (cont.Count > 0)
                o.Add("\"symmetries_continuous\": [" + string.Join(", ", cont.Select(c =>
                    $"{{\"axis\": {List(new[] { c.Axis.X, c.Axis.Y, c.Axis.Z })}, \"offset\": {List(new[] { c.OffsetMm.X, c.OffsetMm.Y, c.OffsetMm.Z })}}}")) + "]");
            json.Append(CultureInfo.InvariantCulture,
                $"  \"{id}\": {{{string.Join(", ", o)}}}{(k + 1 < models.Count ? "," : "")}\n");
        }
        json.Append("}\n");
        AtomicFile.WriteAllText(Path.Combine(dir, BopDataset.ModelsInfoFile), json.ToString());
        AtomicFile.WriteAllText(Path.Combine(_root, BopDataset.EvalModelsFolder, BopDataset.ModelsInfoFile),
            json.ToString());
    }

    /// <summary>One image of a scene: colour, depth, and per instance its full and visible masks.</summary>
    public void WriteImage(int sceneId, int imId, byte[] rgb, float[] depthMetres, double depthScale, int width,
        int height, IReadOnlyList<(bool[] Mask, bool[] MaskVisib)> masks)
    {
        string dir = SceneDir(sceneId), name = BopDataset.ImageName(imId);
        long n = (long)width * height;
        Png.Write(Path.Combine(dir, "rgb", name + ".png"),
            new PngImage(width, height, 3, 8, rgb.Select(b => (ushort)b).ToArray()));
        var d = new ushort[n];
        for (long i = 0; i < n; i++)
            d[i] = (ushort)Math.Clamp(Math.Round(depthMetres[i] * 1000.0 / depthScale), 0, 65535);
        Png.Write(Path.Combine(dir, "depth", name + ".png"), new PngImage(width, height, 1, 16, d));
        for (int g = 0; g < masks.Count; g++)
        {
            Png.Write(Path.Combine(dir, "mask", BopDataset.MaskName(imId, g)), MaskImage(masks[g].Mask, width, height));
            Png.Write(Path.Combine(dir, "mask_visib", BopDataset.MaskName(imId, g)),
                MaskImage(masks[g].MaskVisib, width, height));
        }
    }

    private static PngImage MaskImage(bool[] m, int w, int h) =>
        new(w, h, 1, 8, m.Select(x => x ? (ushort)255 : (ushort)0).ToArray());

    private string SceneDir(int sceneId) => Path.Combine(_root, _split, sceneId.ToString("D6", Ci));

    /// <summary>scene_camera.json, scene_gt.json and scene_gt_info.json for a whole scene.</summary>
    public void WriteSceneJson(int sceneId, IReadOnlyList<BopImageAnnotations> images)
    {
        var cam = new StringBuilder("{\n");
        var gt = new StringBuilder("{\n");
        var info = new StringBuilder("{\n");
        for (int k = 0; k < images.Count; k++)
        {
            var img = images[k];
            string sep = k + 1 < images.Count ? "," : "";
            var K = img.Camera.K;
            cam.Append(CultureInfo.InvariantCulture,
                $"  \"{img.ImId}\": {{\"cam_K\": {List(new[] { K.Fx, 0, K.Cx, 0, K.Fy, K.Cy, 0, 0, 1 })}, " +
                $"\"depth_scale\": {N(img.Camera.DepthScale)}}}{sep}\n");
            gt.Append($"  \"{img.ImId}\": [" + string.Join(", ", img.Objects.Select(o =>
                $"{{\"cam_R_m2c\": {List(RowMajor(o.PoseMm.R))}, \"cam_t_m2c\": {List(new[] { o.PoseMm.T.X, o.PoseMm.T.Y, o.PoseMm.T.Z })}, \"obj_id\": {o.ObjId}}}")) + $"]{sep}\n");
            info.Append($"  \"{img.ImId}\": [" + string.Join(", ", img.Objects.Select(o =>
            {
                var i = o.Info
                    ?? throw new ArgumentException($"image {img.ImId} instance {o.GtIndex} has no visibility info");
                return $"{{\"bbox_obj\": {Ints(i.BboxObj)}, \"bbox_visib\": {Ints(i.BboxVisib)}, \"px_count_all\": " +
                    $"{i.PxCountAll}, \"px_count_valid\": {i.PxCountValid}, \"px_count_visib\": {i.PxCountVisib}, " +
                    $"\"visib_fract\": {N(i.VisibFract)}}}";
            })) + $"]{sep}\n");
        }
        string dir = SceneDir(sceneId);
        AtomicFile.WriteAllText(Path.Combine(dir, BopDataset.CameraFile), cam.Append("}\n").ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, BopDataset.GtFile), gt.Append("}\n").ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, BopDataset.GtInfoFile), info.Append("}\n").ToString());
    }

    /// <summary>test_targets_bop19.json: one entry per (scene, image, object) with its instance count.</summary>
    public void WriteTargets(IEnumerable<(int SceneId, int ImId, int ObjId, int InstCount)> targets)
    {
        var lines =
            targets.Select(t =>
                $"  {{\"im_id\": {t.ImId}, \"inst_count\": {t.InstCount}, \"obj_id\": {t.ObjId}, \"scene_id\": {t.SceneId}}}");
        AtomicFile.WriteAllText(Path.Combine(_root, BopDataset.TargetsFile),
            "[\n" + string.Join(",\n", lines) + "\n]\n");
    }
}

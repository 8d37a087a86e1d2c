using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// A dataset in the BOP format: models/ (obj_XXXXXX.ply in millimetres and models_info.json), and a split folder
/// (test/, val/, ...) of scenes XXXXXX/ with scene_camera.json, scene_gt.json, scene_gt_info.json, rgb/ (PNG or JPEG),
/// depth/ (16-bit PNG) and mask_visib/; optionally test_targets_bop19.json beside models/.
/// </summary>
internal sealed class BopDataset
{
    public const string ModelsInfoFile = "models_info.json", TargetsFile = "test_targets_bop19.json";
    public const string EvalModelsFolder = "models_eval";
    public const string CameraFile = "scene_camera.json", GtFile = "scene_gt.json", GtInfoFile = "scene_gt_info.json";

    public string Root { get; }
    public string Split { get; }
    /// <summary>The dataset's name as BOP results files spell it: the root folder's name.</summary>
    public string Name { get; }
    public IReadOnlyDictionary<int, BopModelInfo> Models { get; }
    public IReadOnlyList<int> SceneIds { get; }
    private readonly ConcurrentDictionary<int, TriMesh> _meshes = new();

    private BopDataset(string root, string split, IReadOnlyDictionary<int, BopModelInfo> models,
        IReadOnlyList<int> scenes)
    {
        Root = root; Split = split; Models = models; SceneIds = scenes;
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
    }

    public string ModelsDir => Path.Combine(Root, "models");
    public string SceneDir(int sceneId) =>
        Path.Combine(Root, Split, sceneId.ToString("D6", CultureInfo.InvariantCulture));
    public static string ModelFileName(int objId) => $"obj_{objId:D6}.ply";
    public static string ImageName(int imId) => imId.ToString("D6", CultureInfo.InvariantCulture);
    public static string MaskName(int imId, int gtIndex) => $"{imId:D6}_{gtIndex:D6}.png";

    public static BopDataset Open(string root, string split = "test")
    {
        if (!Directory.Exists(root))
            throw new FpQuantException($"dataset folder '{root}' does not exist; give a BOP dataset (models/, " +
                $"{split}/) or make one with 'fpquant make-dataset'");
        if (string.IsNullOrWhiteSpace(split) || split.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || split is "."
            or "..")
            throw new FpQuantException($"split '{split}' is not a folder name such as test or val");
        string info = Path.Combine(root, "models", ModelsInfoFile);
        var models = ReadModelsInfo(info);
        string splitDir = Path.Combine(root, split);
        if (!Directory.Exists(splitDir))
        {
            var splits = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n != "models");
            throw new FpQuantException($"dataset '{root}' has no split folder '{split}/' ('{splitDir}'); give a " +
                $"split, one of: {string.Join(", ", splits)}");
        }
        var scenes = Directory.GetDirectories(splitDir)
            .Select(d => Path.GetFileName(d))
            .Where(n => n.Length == 6 && n.All(char.IsAsciiDigit))
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture)).Order().ToList();
        if (scenes.Count == 0)
            throw new FpQuantException(
                $"split folder '{splitDir}' has no scene folders (six-digit names such as 000001)");
        return new BopDataset(root, split, models, scenes);
    }

    public static Dictionary<int, BopModelInfo> ReadModelsInfo(string path)
    {
        using var doc = BopJson.Load(path, "models info");
        var root = BopJson.Object(doc.RootElement, path, "the file");
        var models = new Dictionary<int, BopModelInfo>();
        foreach (var p in root.EnumerateObject())
        {
            int id = BopJson.KeyId(p.Name, path);
            string where = $"object {id}";
            var o = BopJson.Object(p.Value, path, where);
            double diameter = BopJson.Number(BopJson.Property(o, "diameter", path, where), path, $"{where} diameter");
            if (!(diameter > 0))
                throw new FpQuantException(
                    $"'{path}': {where} has diameter {diameter}; it must be positive (millimetres)");
            Vec3 V(string a, string b, string c) => o.TryGetProperty(a, out var x) && o.TryGetProperty(b, out var y)
                && o.TryGetProperty(c, out var z)
                ? new Vec3(BopJson.Number(x, path, $"{where} {a}"), BopJson.Number(y, path, $"{where} {b}"),
                    BopJson.Number(z, path, $"{where} {c}")) : default;
            var discrete = new List<Pose>();
            if (o.TryGetProperty("symmetries_discrete", out var sd))
            {
                if (sd.ValueKind != JsonValueKind.Array)
                    throw new FpQuantException($"'{path}': {where} symmetries_discrete must be an array of 4x4 " +
                        $"matrices (16 numbers each)");
                int k = 0;
                foreach (var m in sd.EnumerateArray())
                    discrete.Add(BopJson.Transform(BopJson.Numbers(m, 16, path,
                        $"{where} symmetries_discrete[{k++}]")));
            }
            var continuous = new List<BopContinuousSymmetry>();
            if (o.TryGetProperty("symmetries_continuous", out var sc))
            {
                if (sc.ValueKind != JsonValueKind.Array)
                    throw new FpQuantException(
                        $"'{path}': {where} symmetries_continuous must be an array of {{axis, offset}}");
                int k = 0;
                foreach (var s in sc.EnumerateArray())
                {
                    string w = $"{where} symmetries_continuous[{k++}]";
                    var a = BopJson.Numbers(BopJson.Property(s, "axis", path, w), 3, path, $"{w} axis");
                    var off = BopJson.Numbers(BopJson.Property(s, "offset", path, w), 3, path, $"{w} offset");
                    var axis = new Vec3(a[0], a[1], a[2]);
                    if (!(axis.Norm > 0)) throw new FpQuantException($"'{path}': {w} has a zero axis");
                    continuous.Add(new BopContinuousSymmetry(axis.Normalized, new Vec3(off[0], off[1], off[2])));
                }
            }
            models[id] = new BopModelInfo(id, diameter, V("min_x", "min_y", "min_z"), V("size_x", "size_y", "size_z"),
                discrete, continuous);
        }
        if (models.Count == 0) throw new FpQuantException($"'{path}' lists no objects");
        return models;
    }

    /// <summary>The scene's images with their camera and ground truth (scene_gt_info.json optional).</summary>
    public List<BopImageAnnotations> LoadScene(int sceneId)
    {
        string dir = SceneDir(sceneId);
        string scene = $"scene {sceneId:D6}";
        string P(string f) => Path.Combine(dir, f);
        if (!File.Exists(P(GtFile)))
            throw new FpQuantException(
                $"{scene} has no {GtFile} ('{P(GtFile)}'); a BOP scene needs {CameraFile} and {GtFile}");
        if (!File.Exists(P(CameraFile)))
            throw new FpQuantException($"{scene} has no {CameraFile} ('{P(CameraFile)}'); a BOP scene needs " +
                $"{CameraFile} and {GtFile}");
        var cameras = new Dictionary<int, BopCamera>();
        using (var doc = BopJson.Load(P(CameraFile), scene))
            foreach (var p in BopJson.Object(doc.RootElement, P(CameraFile), "the file").EnumerateObject())
            {
                int im = BopJson.KeyId(p.Name, P(CameraFile));
                string w = $"image {im}";
                var k = BopJson.Numbers(BopJson.Property(p.Value, "cam_K", P(CameraFile), w), 9, P(CameraFile),
                    $"{w} cam_K");
                if (!(k[0] > 0 && k[4] > 0))
                    throw new FpQuantException($"'{P(CameraFile)}': {w} cam_K has focal lengths {k[0]}, {k[4]}; they " +
                        $"must be positive");
                double scale = p.Value.TryGetProperty("depth_scale", out var ds)
                    ? BopJson.Number(ds, P(CameraFile), $"{w} depth_scale") : 1.0;
                if (!(scale > 0))
                    throw new FpQuantException($"'{P(CameraFile)}': {w} depth_scale is {scale}; it must be positive");
                cameras[im] = new BopCamera(new CameraIntrinsics(k[0], k[4], k[2], k[5]), scale);
            }
        var infos = new Dictionary<int, List<BopGtInfo>>();
        if (File.Exists(P(GtInfoFile)))
            using (var doc = BopJson.Load(P(GtInfoFile), scene))
                foreach (var p in BopJson.Object(doc.RootElement, P(GtInfoFile), "the file").EnumerateObject())
                {
                    int im = BopJson.KeyId(p.Name, P(GtInfoFile));
                    var list = new List<BopGtInfo>();
                    int g = 0;
                    foreach (var e in Array(p.Value, P(GtInfoFile), $"image {im}"))
                    {
                        string w = $"image {im} entry {g++}";
                        int[] Box(string name) => e.TryGetProperty(name, out var b)
                            ? BopJson.Numbers(b, 4, P(GtInfoFile), $"{w} {name}").Select(x => (int)x).ToArray()
                            : new[] { -1, -1, 0, 0 };
                        int Count(string name) => e.TryGetProperty(name, out var c)
                            ? BopJson.Int(c, P(GtInfoFile), $"{w} {name}") : 0;
                        double vf = BopJson.Number(BopJson.Property(e, "visib_fract", P(GtInfoFile), w), P(GtInfoFile),
                            $"{w} visib_fract");
                        list.Add(new BopGtInfo(Box("bbox_obj"), Box("bbox_visib"), Count("px_count_all"),
                            Count("px_count_valid"), Count("px_count_visib"), vf));
                    }
                    infos[im] = list;
                }
        var images = new List<BopImageAnnotations>();
        using (var doc = BopJson.Load(P(GtFile), scene))
            foreach (var p in BopJson.Object(doc.RootElement, P(GtFile), "the file").EnumerateObject())
            {
                int im = BopJson.KeyId(p.Name, P(GtFile));
                if (!cameras.TryGetValue(im, out var cam))
                    throw new FpQuantException(
                        $"'{P(CameraFile)}' has no entry for image {im}, which '{P(GtFile)}' annotates");
                var objs = new List<BopGroundTruth>();
                infos.TryGetValue(im, out var info);
                int g = 0;
                foreach (var e in Array(p.Value, P(GtFile), $"image {im}"))
                {
                    string w = $"image {im} entry {g}";
                    var r =
                        BopJson.Numbers(BopJson.Property(e, "cam_R_m2c", P(GtFile), w), 9, P(GtFile), $"{w} cam_R_m2c");
                    var t =
                        BopJson.Numbers(BopJson.Property(e, "cam_t_m2c", P(GtFile), w), 3, P(GtFile), $"{w} cam_t_m2c");
                    int obj = BopJson.Int(BopJson.Property(e, "obj_id", P(GtFile), w), P(GtFile), $"{w} obj_id");
                    if (info != null && info.Count <= g)
                        throw new FpQuantException($"'{P(GtInfoFile)}' has {info.Count} entries for image {im} but " +
                            $"'{P(GtFile)}' has more; the two files must list the same instances");
                    objs.Add(new BopGroundTruth(g, obj, new Pose(BopJson.Rotation(r), new Vec3(t[0], t[1], t[2])),
                        info?[g]));
                    g++;
                }
                images.Add(new BopImageAnnotations(sceneId, im, cam, objs));
            }
        images.Sort((a, b) => a.ImId.CompareTo(b.ImId));
        return images;
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string path, string where) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray()
            : throw new FpQuantException($"'{path}': {where} must be an array of instances");

    /// <summary>(scene, image, object) triples of the target list, or null when the dataset has none.</summary>
    public HashSet<(int Scene, int Im, int Obj)>? ReadTargets()
    {
        string path = Path.Combine(Root, TargetsFile);
        if (!File.Exists(path)) return null;
        using var doc = BopJson.Load(path, "target list");
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new FpQuantException($"'{path}' must be an array of {{scene_id, im_id, obj_id, inst_count}}");
        var set = new HashSet<(int, int, int)>();
        int k = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string w = $"target {k++}";
            set.Add((BopJson.Int(BopJson.Property(e, "scene_id", path, w), path, $"{w} scene_id"),
                BopJson.Int(BopJson.Property(e, "im_id", path, w), path, $"{w} im_id"),
                BopJson.Int(BopJson.Property(e, "obj_id", path, w), path, $"{w} obj_id")));
        }
        return set;
    }

    /// <summary>
    /// The instances to evaluate, in scene, image, instance order; each one's object checked for a model.
    /// </summary>
    public List<BopInstance> SelectInstances(InstanceSelection sel)
    {
        sel.Validate();
        foreach (int s in sel.Scenes)
            if (!SceneIds.Contains(s))
                throw new FpQuantException($"Scenes: scene {s} is not in '{Path.Combine(Root, Split)}' (it has " +
                    $"{string.Join(", ", SceneIds)})");
        var targets = sel.UseTargets ? ReadTargets() : null;
        var result = new List<BopInstance>();
        foreach (int sceneId in SceneIds)
        {
            if (sel.Scenes.Count > 0 && !sel.Scenes.Contains(sceneId)) continue;
            foreach (var img in LoadScene(sceneId))
                foreach (var gt in img.Objects)
                {
                    if (sel.Objects.Count > 0 && !sel.Objects.Contains(gt.ObjId)) continue;
                    if (targets != null && !targets.Contains((sceneId, img.ImId, gt.ObjId))) continue;
                    if (gt.Info != null && gt.Info.VisibFract < sel.MinVisible) continue;
                    result.Add(Instance(img, gt));
                    if (result.Count == sel.MaxInstances) return Checked(result);
                }
        }
        return Checked(result);
    }

    private List<BopInstance> Checked(List<BopInstance> list)
    {
        foreach (int obj in list.Select(i => i.ObjId).Distinct())
        {
            var first = list.First(i => i.ObjId == obj);
            if (!Models.ContainsKey(obj))
                throw new FpQuantException($"object {obj} ({first}) has no entry in " +
                    $"'{Path.Combine(ModelsDir, ModelsInfoFile)}'; the dataset's models/ must describe every " +
                    $"annotated object");
            string ply = Path.Combine(ModelsDir, ModelFileName(obj));
            if (!File.Exists(ply))
                throw new FpQuantException($"object {obj} ({first}) has no model file '{ply}'");
        }
        return list;
    }

    internal BopInstance Instance(BopImageAnnotations img, BopGroundTruth gt)
    {
        string dir = SceneDir(img.SceneId), name = ImageName(img.ImId);
        string rgb = Path.Combine(dir, "rgb", name + ".png");
        if (!File.Exists(rgb) && File.Exists(Path.Combine(dir, "rgb", name + ".jpg")))
            rgb = Path.Combine(dir, "rgb", name + ".jpg");
        return new BopInstance(img.SceneId, img.ImId, img.Camera, gt, rgb, Path.Combine(dir, "depth", name + ".png"),
            Path.Combine(dir, "mask_visib", MaskName(img.ImId, gt.GtIndex)));
    }

    /// <summary>An instance as the pipeline's scene: its frame, visible mask, model in metres and true pose.</summary>
    public Scene SceneOf(BopInstance inst)
    {
        var frame = LoadFrame(inst);
        var gt = inst.Gt.PoseMm;
        return Scene.Create(frame, MeshMetres(inst.ObjId), $"{Name} {inst}", new Pose(gt.R, gt.T / 1000),
            $"visible mask '{inst.MaskVisibPath}'", $"depth '{inst.DepthPath}'");
    }

    /// <summary>The instance's frame: RGB, depth in metres, its visible mask, the camera.</summary>
    public static RgbdFrame LoadFrame(BopInstance inst)
    {
        var (rgb, w, h) = BopImages.ReadRgb(inst.RgbPath);
        var depth = BopImages.ReadDepth(inst.DepthPath, inst.Camera.DepthScale, w, h);
        var mask = BopImages.ReadMask(inst.MaskVisibPath, w, h);
        return new RgbdFrame(w, h, rgb, depth, mask, inst.Camera.K) { Source = inst.RgbPath };
    }

    /// <summary>The object's mesh in metres, as the pipeline renders it (loaded once).</summary>
    public TriMesh MeshMetres(int objId) => _meshes.GetOrAdd(objId, id =>
    {
        var mm = MeshFiles.Load(Path.Combine(ModelsDir, ModelFileName(id)));
        var p = new float[mm.Positions.Length];
        for (int i = 0; i < p.Length; i++) p[i] = mm.Positions[i] * 0.001f;
        var m = new TriMesh(p, mm.Triangles, mm.Normals, mm.NormalIndex, mm.Uvs, mm.UvIndex, mm.VertexColors,
            mm.Texture, mm.UniformColor) { Source = mm.Source };
        m.Warnings.AddRange(mm.Warnings);
        return m;
    });

    /// <summary>The model errors are measured on, in mm: models_eval/ when the dataset has it (BOP's evenly resampled
    /// models), else the model itself. Its vertices are the points of ADD, ADD-S, MSSD and MSPD; VSD renders
    /// it.</summary>
    public TriMesh EvalMeshMm(int objId)
    {
        string eval = Path.Combine(Root, EvalModelsFolder, ModelFileName(objId));
        return MeshFiles.Load(File.Exists(eval) ? eval : Path.Combine(ModelsDir, ModelFileName(objId)));
    }

    public float[] EvalPointsMm(int objId) => EvalMeshMm(objId).Positions;
}

using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Tests.Support;
using SkiaSharp;

namespace FpQuant.Tests.Datasets;

/// <summary>
/// make-dataset's output read back by the BOP reader, written again by the writer, and broken on purpose.
/// </summary>
[Trait("Category", "Heavy")]
public class BopDatasetTests : IClassFixture<SyntheticDatasetFixture>
{
    private readonly SyntheticDatasetFixture _ds;
    public BopDatasetTests(SyntheticDatasetFixture ds) { _ds = ds; }

    [Fact]
    public void MakeDataset_WritesEveryBopFile_AndTheReaderSeesItsObjects()
    {
        foreach (var f in new[] { "models/models_info.json", "models/obj_000001.ply", "models/obj_000002.ply",
            "test_targets_bop19.json",
                     "test/000001/scene_camera.json", "test/000001/scene_gt.json", "test/000001/scene_gt_info.json",
                     "test/000001/rgb/000001.png", "test/000001/depth/000001.png",
                     "test/000001/mask_visib/000001_000001.png", "test/000001/mask/000001_000000.png",
                     "test/000002/scene_gt.json" })
            Assert.True(File.Exists(Path.Combine(_ds.Root, f)), f);
        var d = BopDataset.Open(_ds.Root);
        Assert.Equal(new[] { 1, 2 }, d.SceneIds);
        Assert.Equal("synth", d.Name);
        var bottle = d.Models[SyntheticBopDataset.BottleId];
        var box = d.Models[SyntheticBopDataset.BoxId];
        Assert.False(bottle.IsSymmetric);
        Assert.Equal(3, box.DiscreteSymmetries.Count);
        Assert.Equal(1000 * DemoScene.Bottle().Diameter(), bottle.DiameterMm, 3);
        Assert.Equal(Math.Sqrt(90 * 90 + 60 * 60 + 40 * 40), box.DiameterMm, 2);
        // The model comes back in metres with the written vertex count and its texture; the box with its colours.
        var mesh = d.MeshMetres(SyntheticBopDataset.BottleId);
        Assert.Equal(DemoScene.Bottle().VertexCount, mesh.VertexCount);
        Assert.Equal(bottle.DiameterMm / 1000, mesh.Diameter(), 5);
        Assert.Equal(MeshColorSource.Texture, mesh.ColorSource);
        Assert.True(File.Exists(Path.Combine(_ds.Root, "models", "obj_000001.png")));
        Assert.NotNull(d.MeshMetres(SyntheticBopDataset.BoxId).VertexColors);
        Assert.True(File.Exists(Path.Combine(_ds.Root, "models_eval", "obj_000002.ply")));
    }

    [Fact]
    public void Instances_HaveGroundTruthThatMatchesTheirImages()
    {
        var d = BopDataset.Open(_ds.Root);
        var all = d.SelectInstances(new InstanceSelection { MinVisible = 0 });
        Assert.Equal(8, all.Count); // 4 images x 2 objects
        Assert.Contains(all, i => i.Gt.Info!.VisibFract < 0.95); // some are partly hidden
        foreach (var inst in all.Take(4))
        {
            var f = BopDataset.LoadFrame(inst);
            Assert.Equal((640, 480), (f.Width, f.Height));
            Assert.Equal(inst.Gt.Info!.PxCountVisib, f.Mask.Count(m => m));
            // Depth inside the visible mask lies on the object's surface: within its radius of the true centre's depth.
            var depths = Enumerable.Range(0, f.Mask.Length).Where(i => f.Mask[i] && f.Depth[i] > 0)
                .Select(i => (double)f.Depth[i]).Order().ToList();
            double median = depths[depths.Count / 2], radius = d.Models[inst.ObjId].DiameterMm / 2000;
            Assert.InRange(median, inst.Gt.PoseMm.T.Z / 1000 - radius, inst.Gt.PoseMm.T.Z / 1000 + radius);
            // The true centre projects inside the instance's box.
            var b = inst.Gt.Info.BboxObj;
            var t = inst.Gt.PoseMm.T;
            double u = f.K.Fx * t.X / t.Z + f.K.Cx, v = f.K.Fy * t.Y / t.Z + f.K.Cy;
            Assert.InRange(u, b[0], b[0] + b[2]);
            Assert.InRange(v, b[1], b[1] + b[3]);
        }
    }

    [Fact]
    public void Selection_FiltersByScene_Object_Visibility_AndCount()
    {
        var d = BopDataset.Open(_ds.Root);
        Assert.All(d.SelectInstances(new InstanceSelection { Scenes = new[] { 2 } }), i => Assert.Equal(2, i.SceneId));
        Assert.All(d.SelectInstances(new InstanceSelection { Objects = new[] { 2 } }), i => Assert.Equal(2, i.ObjId));
        Assert.Equal(3, d.SelectInstances(new InstanceSelection { MaxInstances = 3 }).Count);
        Assert.All(d.SelectInstances(new InstanceSelection { MinVisible = 0.9 }),
            i => Assert.True(i.Gt.Info!.VisibFract >= 0.9));
        var ex =
            Assert.Throws<FpQuantException>(() => d.SelectInstances(new InstanceSelection { Scenes = new[] { 9 } }));
        Assert.Contains("scene 9", ex.Message);
    }

    [Fact]
    public void WriterAndReader_RoundTrip()
    {
        using var tmp = new TempDir();
        var d = BopDataset.Open(_ds.Root);
        var w = new BopWriter(tmp.Path);
        foreach (int s in d.SceneIds)
        {
            var images = d.LoadScene(s);
            w.WriteSceneJson(s, images);
            foreach (var img in images)
            {
                var first = d.SelectInstances(new InstanceSelection { Scenes = new[] { s }, MinVisible = 0,
                    UseTargets = false }).First(i => i.ImId == img.ImId);
                var f = BopDataset.LoadFrame(first);
                var masks = img.Objects.Select(o =>
                {
                    var m = BopImages.ReadMask(Path.Combine(d.SceneDir(s), "mask_visib",
                        BopDataset.MaskName(img.ImId, o.GtIndex)), f.Width, f.Height);
                    return (m, m);
                }).ToList();
                w.WriteImage(s, img.ImId, f.Rgb, f.Depth, img.Camera.DepthScale, f.Width, f.Height, masks);
            }
        }
        w.WriteModels(d.Models.Values.Select(m =>
            (m.ObjId, d.MeshMetres(m.ObjId), m.DiscreteSymmetries, m.ContinuousSymmetries)).ToList());
        var again = BopDataset.Open(tmp.Path);
        foreach (var m in d.Models.Values)
        {
            var n = again.Models[m.ObjId];
            Assert.Equal(m.DiameterMm, n.DiameterMm, 3); // vertices pass through float32 mm once more
            Assert.Equal(m.DiscreteSymmetries, n.DiscreteSymmetries);
            Assert.Equal(d.MeshMetres(m.ObjId).VertexColors, again.MeshMetres(m.ObjId).VertexColors);
        }
        foreach (int s in d.SceneIds)
        {
            var a = d.LoadScene(s);
            var b = again.LoadScene(s);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].Camera, b[i].Camera);
                Assert.Equal(a[i].Objects.Count, b[i].Objects.Count);
                for (int g = 0; g < a[i].Objects.Count; g++)
                {
                    Assert.Equal(a[i].Objects[g].PoseMm, b[i].Objects[g].PoseMm); // written with round-trip precision
                    Assert.Equal(a[i].Objects[g].ObjId, b[i].Objects[g].ObjId);
                    Assert.Equal(a[i].Objects[g].Info!.VisibFract, b[i].Objects[g].Info!.VisibFract);
                    Assert.Equal(a[i].Objects[g].Info!.BboxVisib, b[i].Objects[g].Info!.BboxVisib);
                }
            }
        }
        var i0 = d.SelectInstances(new InstanceSelection { MaxInstances = 1 })[0];
        var f0 = BopDataset.LoadFrame(i0);
        var g0 = BopDataset.LoadFrame(again.SelectInstances(new InstanceSelection { MaxInstances = 1,
            UseTargets = false })[0]);
        Assert.Equal(f0.Rgb, g0.Rgb);
        Assert.Equal(f0.Depth, g0.Depth);
        Assert.Equal(f0.Mask, g0.Mask);
    }

    [Fact]
    public void JpegColourImages_AreRead()
    {
        using var tmp = new TempDir();
        string root = _ds.CopyTo(tmp);
        var d = BopDataset.Open(root);
        var inst = d.SelectInstances(new InstanceSelection { MaxInstances = 1 })[0];
        var png = BopDataset.LoadFrame(inst);
        string jpg = Path.ChangeExtension(inst.RgbPath, ".jpg");
        WriteJpeg(png.Rgb, png.Width, png.Height, jpg);
        File.Delete(inst.RgbPath);
        var fromJpeg = BopDataset.LoadFrame(d.SelectInstances(new InstanceSelection { MaxInstances = 1 })[0]);
        double mad = png.Rgb.Zip(fromJpeg.Rgb, (a, b) => Math.Abs(a - b)).Average();
        Assert.InRange(mad, 0, 4); // quality 95
        Assert.Equal(png.Depth, fromJpeg.Depth);
    }

    internal static void WriteJpeg(byte[] rgb, int w, int h, string path)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                bmp.SetPixel(x, y, new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
            }
        using var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void SixteenBitDepth_NeedsTheProjectsCodec()
    {
        // The reason depth does not go through SkiaSharp: it hands 16-bit grey back as 8 bits.
        var s = Enumerable.Range(0, 600).Select(i => (ushort)(i * 109 + 3)).ToArray();
        var bytes = Png.Encode(new PngImage(300, 2, 1, 16, s));
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);
        Assert.Equal(s, Png.Decode(bytes, "test").Samples);
    }
}

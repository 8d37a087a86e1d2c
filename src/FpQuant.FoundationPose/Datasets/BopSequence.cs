using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;

namespace FpQuant.Datasets;

/// <summary>
/// One object through a video scene of a BOP dataset (YCB-Video's test scenes, `make-dataset --video`): its instance
/// in every image of the scene that annotates it, in frame order (im_id ascending, whatever order the JSON files list
/// them in), with the ground truth of each frame.
/// </summary>
internal sealed class BopSequence
{
    public BopDataset Dataset { get; }
    public int SceneId { get; }
    public int ObjId { get; }
    /// <summary>The object's instances, one per frame, in frame order.</summary>
    public IReadOnlyList<BopInstance> Frames { get; }

    private BopSequence(BopDataset dataset, int sceneId, int objId, IReadOnlyList<BopInstance> frames)
    {
        Dataset = dataset; SceneId = sceneId; ObjId = objId; Frames = frames;
    }

    /// <param name="sceneId">The scene (default: the split's first).</param>
    /// <param name="objId">The object (default: the first annotated in the scene's first frame).</param>
    public static BopSequence Open(BopDataset dataset, int? sceneId = null, int? objId = null)
    {
        int scene = sceneId ?? dataset.SceneIds[0];
        if (!dataset.SceneIds.Contains(scene))
            throw new FpQuantException($"scene {scene}: '{Path.Combine(dataset.Root, dataset.Split)}' has no scene " +
                $"{scene:D6} (it has {string.Join(", ", dataset.SceneIds)})");
        var images = dataset.LoadScene(scene);
        if (images.Count == 0) throw new FpQuantException($"scene {scene} of '{dataset.Root}' annotates no images");
        int obj = objId ?? (images[0].Objects.Count > 0 ? images[0].Objects[0].ObjId
            : throw new FpQuantException($"scene {scene} of '{dataset.Root}': its first image (im_id " +
                $"{images[0].ImId}) annotates no object; give the object id"));
        var frames = new List<BopInstance>();
        foreach (var img in images)
            if (img.Objects.FirstOrDefault(o => o.ObjId == obj) is BopGroundTruth gt)
                frames.Add(dataset.Instance(img, gt));
        if (frames.Count == 0)
            throw new FpQuantException($"object {obj}: scene {scene} of '{dataset.Root}' never shows object {obj} " +
                $"(it shows {string.Join(", ", images.SelectMany(i => i.Objects).Select(o => o.ObjId).Distinct())})");
        if (!dataset.Models.ContainsKey(obj))
            throw new FpQuantException($"object {obj} has no entry in " +
                $"'{Path.Combine(dataset.ModelsDir, BopDataset.ModelsInfoFile)}'; the dataset's models/ must " +
                $"describe every annotated object");
        return new BopSequence(dataset, scene, obj, frames);
    }

    /// <summary>
    /// Frame <paramref name="i"/> as the pipeline's scene (mask, mesh in metres, true pose): what registration takes.
    /// </summary>
    public Scene SceneAt(int i) => Dataset.SceneOf(Frames[i]);

    /// <summary>Frame <paramref name="i"/>'s RGB-D frame (with the object's visible mask).</summary>
    public RgbdFrame FrameAt(int i) => BopDataset.LoadFrame(Frames[i]);

    /// <summary>The object's true pose in frame <paramref name="i"/>, in metres.</summary>
    public Pose TruePose(int i)
    {
        var p = Frames[i].Gt.PoseMm;
        return new Pose(p.R, p.T / 1000);
    }

    public override string ToString() => $"{Dataset.Name} scene {SceneId} object {ObjId} ({Frames.Count} frames)";

    /// <summary>
    /// The first <paramref name="maxFrames"/> frames (all by default) as the tracker's sequence, read frame by frame.
    /// </summary>
    public TrackSequence ToTrackSequence(int? maxFrames = null)
    {
        if (maxFrames is < 1) throw new FpQuantException($"maxFrames must be at least 1, got {maxFrames}");
        int n = Math.Min(Frames.Count, maxFrames ?? int.MaxValue);
        return new TrackSequence(ToString(), Frames.Take(n).Select(f => f.ImId).ToList(),
            Enumerable.Range(0, n).Select(i => (Pose?)TruePose(i)).ToList(), FrameAt, SceneAt);
    }
}

namespace FpQuant.Evaluation;

/// <summary>One frame of one tracked sequence for one variant, as written to OUT/track-frames.jsonl.</summary>
internal sealed record TrackEvalFrame(string Variant, int SceneId, int ObjId, int Index, int ImId, double AddMm,
    double AddsMm, double Ms, bool Registered, bool Lost, float? Score);

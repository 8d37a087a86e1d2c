namespace FpQuant.Evaluation;

/// <summary>Progress of an eval run: first frames done of the total this run will do, and what is happening.</summary>
internal sealed record EvalProgress(string Stage, int Done, int Total);

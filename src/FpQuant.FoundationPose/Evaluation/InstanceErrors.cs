namespace FpQuant.Evaluation;

/// <summary>One estimate's errors: ADD, ADD-S and MSSD in mm, MSPD in pixels.</summary>
internal sealed record InstanceErrors(double AddMm, double AddsMm, double MssdMm, double MspdPx);

using FpQuant.FoundationPose;

var demo = SampleScene.Demo();
var options = new FoundationPoseOptions { Hypotheses = 42 };
using var estimator = FoundationPoseEstimator.FromSyntheticWeights(seed: 0, options);
var result = estimator.Register(demo.Frame, demo.Mask, demo.Mesh, demo.K);
Console.WriteLine($"pose (object in camera, metres):\n{result.Pose.ToMatrixText()}");
foreach (var (stage, seconds) in result.Times.Stages) Console.WriteLine($"{stage}: {seconds:F3} s");

<#
  {{SUMMARY}}
  Run as Administrator: powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\bootstrap.ps1
  Idempotent: a re-run resumes at the first unfinished phase (markers in C:\ProgramData\win-k8s\state);
  log in C:\ProgramData\win-k8s\bootstrap.log, one line per phase on COM1. This file carries a
  bootstrap token: keep it private. The copy saved for a reboot is deleted once the join has run.
#>
$ErrorActionPreference = 'Stop'
# Invoke-WebRequest is many times slower while it draws a progress bar.
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$WinK8s = @{
    RenderedBy = {{WIN_K8S_VERSION}}
    NodeName = {{NODE_NAME}}
    WindowsVersion = {{WINDOWS_VERSION}}
    WindowsBuild = {{WINDOWS_BUILD}}
    KubernetesVersion = {{KUBERNETES_VERSION}}
    Runtime = {{RUNTIME}}
    Cni = {{CNI}}
    ApiServer = {{API_SERVER}}
    CriSocket = {{CRI_SOCKET}}
    CrictlEndpoint = {{CRICTL_ENDPOINT}}
    SandboxImage = {{SANDBOX_IMAGE}}
    HypervIsolation = {{HYPERV_ISOLATION}}
    UseKubeLogRunner = {{USE_KUBE_LOG_RUNNER}}
    LogRunnerRotates = {{LOG_RUNNER_ROTATES}}
    KubeletFlags = {{KUBELET_FLAGS}}
    KubeProxyFlags = {{KUBE_PROXY_FLAGS}}
    FlannelVni = {{FLANNEL_VNI}}
    FlannelPort = {{FLANNEL_PORT}}
    ContainerdConfig = {{CONTAINERD_CONFIG}}
    FlannelNetConf = {{FLANNEL_NET_CONF}}
    FlannelCniConf = {{FLANNEL_CNI_CONF}}
    JoinConfiguration = {{JOIN_CONFIGURATION}}
    HttpProxy = {{HTTP_PROXY}}
    HttpsProxy = {{HTTPS_PROXY}}
    NoProxy = {{NO_PROXY}}
}

# Every download, pinned to a version, with the source of its SHA-256.
$Artifacts = {{ARTIFACTS}}

# Secret: used only in the kubeadm join configuration file, never logged or echoed.
$BootstrapToken = {{BOOTSTRAP_TOKEN}}

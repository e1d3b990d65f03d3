<#
  {{SUMMARY}}

  Run as Administrator in Windows PowerShell 5.1:
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\bootstrap.ps1

  The script is idempotent: each phase leaves a marker under C:\ProgramData\win-k8s\state,
  and a re-run resumes at the first unfinished phase. When Windows features need a reboot it
  registers a startup task that runs it again, and removes that task when the node has joined.
  Progress goes to C:\ProgramData\win-k8s\bootstrap.log and, one line per phase, to COM1.
  This file carries a bootstrap token: keep it private. The copy saved for the reboot is
  deleted when the join finishes.
#>
$ErrorActionPreference = 'Stop'
# Invoke-WebRequest is many times slower while it draws a progress bar.
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$WinK8s = @{
    RenderedBy              = {{WIN_K8S_VERSION}}
    NodeName                = {{NODE_NAME}}
    WindowsVersion          = {{WINDOWS_VERSION}}
    WindowsBuild            = {{WINDOWS_BUILD}}
    KubernetesVersion       = {{KUBERNETES_VERSION}}
    Runtime                 = {{RUNTIME}}
    Cni                     = {{CNI}}
    ApiServer               = {{API_SERVER}}
    CaCertHash              = {{CA_CERT_HASH}}
    CriSocket               = {{CRI_SOCKET}}
    SandboxImage            = {{SANDBOX_IMAGE}}
    ServiceCidr             = {{SERVICE_CIDR}}
    ClusterCidr             = {{CLUSTER_CIDR}}
    HypervIsolation         = {{HYPERV_ISOLATION}}
    HypervRuntimeHandler    = {{HYPERV_RUNTIME_HANDLER}}
    ContainerdConfigVersion = {{CONTAINERD_CONFIG_VERSION}}
    KubeadmApiVersion       = {{KUBEADM_API_VERSION}}
    UseKubeLogRunner        = {{USE_KUBE_LOG_RUNNER}}
    KubeletFlags            = {{KUBELET_FLAGS}}
    KubeProxyFlags          = {{KUBE_PROXY_FLAGS}}
    FlannelVni              = {{FLANNEL_VNI}}
    FlannelPort             = {{FLANNEL_PORT}}
    HttpProxy               = {{HTTP_PROXY}}
    HttpsProxy              = {{HTTPS_PROXY}}
    NoProxy                 = {{NO_PROXY}}
}

# Every download, pinned to a version, with the source of its SHA-256.
$Artifacts = {{ARTIFACTS}}

# Secret: used only in the kubeadm join configuration file, never logged or echoed.
$BootstrapToken = {{BOOTSTRAP_TOKEN}}

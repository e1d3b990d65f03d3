# The runtime section of templates/diagnose/node-checks.ps1 on Docker nodes, against the recording
# fake crictl (test/fakes/crictl): cri-dockerd's pipe (Kubernetes 1.24+) and the kubelet's own
# dockershim pipe (before 1.24). The whole script runs; each report is also written to
# $env:WIN_K8S_NODE_REPORTS_OUT for the mocha driver, which judges it with the CLI's checks.
BeforeAll {
    . (Join-Path $PSScriptRoot 'NodeHarness.ps1')
    $script:Saved = Save-NodeEnvironment
}
AfterAll { Restore-NodeEnvironment $script:Saved }

Describe 'runtime section: cri-dockerd 0.3 with Docker 24.0.7, crictl 1.29' {
    BeforeAll {
        $line = '"C:\k\kubelet.exe" --hostname-override=win-1 --container-runtime-endpoint=npipe:////./pipe/cri-dockerd --node-ip=10.0.2.21'
        $r = Invoke-RuntimeScenario -Docker -Recording 'cri-dockerd-0.3-healthy' -Save 'runtime-cri-dockerd' -KubeletLine $line -Processes @('cri-dockerd', 'kubelet', 'kube-proxy', 'flanneld')
        $script:Runtime = $r.report.runtime
        $script:Calls = $r.calls
    }

    It "asks cri-dockerd's pipe, named by the kubelet, and reads Docker's version" {
        $script:Runtime.endpoint | Should -Be 'npipe:////./pipe/cri-dockerd'
        $script:Runtime.endpointSource | Should -Be 'kubelet'
        $script:Runtime.PSObject.Properties['unreachable'].Value | Should -BeNullOrEmpty
        $script:Runtime.version.runtimeName | Should -Be 'docker'
        $script:Runtime.version.runtimeVersion | Should -Be '24.0.7'
        $script:Runtime.version.runtimeApiVersion | Should -Be 'v1'
        # Nothing exited: no inspect; the three images in one inspecti.
        ($script:Calls | ForEach-Object { $_[6] }) | Should -Be @('version', 'info', 'pods', 'ps', 'images', 'inspecti', 'imagefsinfo')
    }

    It "reads the two conditions and cri-dockerd's sandbox image; no CNI load status exists to read" {
        (@($script:Runtime.conditions) | ForEach-Object { '{0}={1}' -f $_.type, $_.status }) | Should -Be @('RuntimeReady=True', 'NetworkReady=True')
        $script:Runtime.lastCniLoadStatus | Should -BeNullOrEmpty
        $script:Runtime.cniConfDir | Should -BeNullOrEmpty
        $script:Runtime.sandboxImage | Should -Be 'mcr.microsoft.com/oss/kubernetes/pause:3.9'
        $script:Runtime.PSObject.Properties['statusError'].Value | Should -BeNullOrEmpty
    }

    It "lists Docker's images by tag, without an OS build (cri-dockerd's image spec has no os.version), and Docker's root as the image fs" {
        @($script:Runtime.images).Count | Should -Be 3
        @($script:Runtime.images | Where-Object { $_.osVersion }).Count | Should -Be 0
        @($script:Runtime.images | Where-Object { $_.os -eq 'windows' }).Count | Should -Be 3
        @($script:Runtime.images | Where-Object { $_.usedBy -eq 'running' }).Count | Should -Be 2
        $script:Runtime.PSObject.Properties['inspectImagesError'].Value | Should -BeNullOrEmpty
        $script:Runtime.imageFs.mountpoint | Should -Be 'C:\ProgramData\docker'
        $script:Runtime.imageFs.usedBytes | Should -Be 6918124544
        $script:Runtime.containers.running | Should -Be 2
    }
}

Describe "runtime section: the kubelet 1.23's dockershim with Docker 20.10.9, crictl 1.23" {
    BeforeAll {
        # kubelet 1.23 with Docker needs no endpoint flag: dockershim is built in.
        $line = '"C:\k\kubelet.exe" --hostname-override=win-1 --network-plugin=cni --node-ip=10.0.2.21'
        $r = Invoke-RuntimeScenario -Docker -Recording 'dockershim-1.23-broken' -Save 'runtime-dockershim' -KubeletLine $line -Processes @('dockerd', 'kubelet', 'kube-proxy', 'flanneld')
        $script:Runtime = $r.report.runtime
        $script:Calls = $r.calls
    }

    It "infers the dockershim pipe from the docker service, and keeps Docker's API version as the runtime reports it" {
        $script:Runtime.endpoint | Should -Be 'npipe:////./pipe/dockershim'
        $script:Runtime.endpointSource | Should -Be 'inferred'
        $script:Runtime.version.runtimeName | Should -Be 'docker'
        $script:Runtime.version.runtimeApiVersion | Should -Be '1.41.0'
    }

    It "reports NetworkReady=false with dockershim's message, and no sandbox image (dockershim has no verbose status)" {
        $net = @($script:Runtime.conditions | Where-Object { $_.type -eq 'NetworkReady' })[0]
        $net.status | Should -BeFalse
        $net.reason | Should -Be 'NetworkPluginNotReady'
        $net.message | Should -Be 'docker: network plugin is not ready: cni config uninitialized'
        $script:Runtime.sandboxImage | Should -BeNullOrEmpty
        $script:Runtime.lastCniLoadStatus | Should -BeNullOrEmpty
    }

    It "names the container Docker could not run (ContainerCannotRun, exit 128) and the crash loop, from crictl 1.23's documents" {
        $app = @($script:Runtime.containers.notable | Where-Object { $_.podName -eq 'app-2022-6c9d' })[0]
        $app.reason | Should -Be 'ContainerCannotRun'
        $app.exitCode | Should -Be 128
        $app.message | Should -BeLike '*does not match the host operating system*'
        $app.image | Should -Be 'mcr.microsoft.com/windows/servercore:ltsc2022'
        $flannel = @($script:Runtime.containers.notable | Where-Object { $_.name -eq 'kube-flannel' })[0]
        $flannel.restartCount | Should -Be 6
        $flannel.exitCode | Should -Be 1
        @($script:Runtime.images | Where-Object { $_.os }).Count | Should -Be 0
        $script:Runtime.imageFs.mountpoint | Should -Be 'C:\ProgramData\docker'
        $script:Runtime.imageFs.usedBytes | Should -Be 12884901888
    }
}

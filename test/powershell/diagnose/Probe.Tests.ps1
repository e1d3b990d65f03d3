# templates/diagnose/probe.ps1 and probe-server.ps1 under pwsh: the server really listens on
# loopback and the probe really connects; only Resolve-DnsName (DnsClient, Windows-only) is stubbed.
BeforeAll {
    $script:Probe = Join-Path $PSScriptRoot '..\..\..\templates\diagnose\probe.ps1'
    $script:Server = Join-Path $PSScriptRoot '..\..\..\templates\diagnose\probe-server.ps1'
    function Invoke-Probe([object[]]$Targets) {
        $env:WIN_K8S_PROBE_TARGETS = ConvertTo-Json -InputObject @($Targets) -Depth 5 -Compress
        $env:WIN_K8S_PROBE_REPEAT = '1'
        $env:WIN_K8S_PROBE_ATTEMPT_TIMEOUT = '3'
        $lines = @(& $script:Probe)
        return [pscustomobject]@{ Lines = $lines; ExitCode = $LASTEXITCODE }
    }
    # What the DnsClient cmdlet does for NXDOMAIN: a non-terminating error whose id is
    # DNS_ERROR_RCODE_NAME_ERROR over a Win32Exception with NativeErrorCode 9003.
    function global:Resolve-DnsName {
        [CmdletBinding()]
        param([string]$Name, [string]$Type, [string]$Server, [switch]$DnsOnly, [switch]$QuickTimeout, [switch]$TcpOnly)
        if ($Name -like 'kubernetes.default.svc.*') {
            return [pscustomobject]@{ Name = $Name; Type = 'A'; TTL = 5; Section = 'Answer'; IPAddress = '10.96.0.1' }
        }
        $exception = New-Object System.ComponentModel.Win32Exception -ArgumentList 9003
        $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList $exception, 'DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName', ([System.Management.Automation.ErrorCategory]::ResourceUnavailable), $Name
        $PSCmdlet.WriteError($record)
    }
}

AfterAll {
    Remove-Item -LiteralPath 'Function:\global:Resolve-DnsName' -ErrorAction SilentlyContinue
    foreach ($n in @('WIN_K8S_PROBE_TARGETS', 'WIN_K8S_PROBE_REPEAT', 'WIN_K8S_PROBE_ATTEMPT_TIMEOUT')) { Remove-Item -LiteralPath "Env:$n" -ErrorAction SilentlyContinue }
}

Describe 'probe.ps1 DNS' {
    It 'the stub throws what Resolve-DnsName throws: error id and native code, not an English HResult' {
        $err = $null
        try { Resolve-DnsName -Name 'nope.invalid' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName*'
        $err.Exception.NativeErrorCode | Should -Be 9003
        $err.Exception.HResult | Should -Not -Be 9003
        $err.Exception.Message | Should -Not -Match 'does not exist'
    }

    It 'passes the negative control on NXDOMAIN without reading the message' {
        $r = Invoke-Probe @(@{ kind = 'dns'; label = 'negative'; name = 'win-k8s-nx.default.svc.cluster.local'; expect = 'nxdomain' })
        $r.Lines | Should -HaveCount 1
        $r.Lines[0] | Should -Match '^WIN-K8S-PROBE ok negative \d+$'
        $r.ExitCode | Should -Be 0
    }

    It 'names NXDOMAIN as such for a name that must resolve, and passes one that resolves' {
        $r = Invoke-Probe @(
            @{ kind = 'dns'; label = 'missing'; name = 'web.default.svc.cluster.local' },
            @{ kind = 'dns'; label = 'api'; name = 'kubernetes.default.svc.cluster.local'; server = '10.96.0.10' }
        )
        $r.Lines[0] | Should -Be 'WIN-K8S-PROBE fail missing NXDOMAIN for web.default.svc.cluster.local'
        $r.Lines[1] | Should -Match '^WIN-K8S-PROBE ok api \d+$'
        $r.ExitCode | Should -Be 1
    }

    It 'fails the negative control when the name resolves' {
        $r = Invoke-Probe @(@{ kind = 'dns'; label = 'negative'; name = 'kubernetes.default.svc.cluster.local'; expect = 'nxdomain' })
        $r.Lines[0] | Should -Be 'WIN-K8S-PROBE fail negative kubernetes.default.svc.cluster.local resolved to 10.96.0.1; expected NXDOMAIN'
    }
}

Describe 'probe.ps1 against probe-server.ps1 on loopback' {
    BeforeAll {
        function Get-FreePort([System.Net.Sockets.ProtocolType]$Protocol) {
            if ($Protocol -eq 'Udp') {
                $u = New-Object System.Net.Sockets.UdpClient -ArgumentList 0
                $p = ([System.Net.IPEndPoint]$u.Client.LocalEndPoint).Port
                $u.Close()
                return $p
            }
            $l = New-Object System.Net.Sockets.TcpListener -ArgumentList ([System.Net.IPAddress]::Loopback), 0
            $l.Start()
            $p = ([System.Net.IPEndPoint]$l.LocalEndpoint).Port
            $l.Stop()
            return $p
        }
        $script:HttpPort = Get-FreePort 'Tcp'
        $script:UdpPort = Get-FreePort 'Udp'
        $env:WIN_K8S_HTTP_PORT = [string]$script:HttpPort
        $env:WIN_K8S_UDP_PORT = [string]$script:UdpPort
        $env:COMPUTERNAME = 'probe-server-pod'
        # The server blocks in GetContext; it runs in its own process, as in its pod.
        # This very PowerShell, so that killing the process ends the server: run as a .NET tool,
        # this process is dotnet running pwsh.dll (a launcher shim would leave its child behind).
        $exe = [Environment]::ProcessPath
        $serverArgs = @('-NoProfile', '-NonInteractive', '-File', (Resolve-Path $script:Server).Path)
        if ((Split-Path -Leaf $exe) -like 'dotnet*') { $serverArgs = @((Join-Path $PSHOME 'pwsh.dll')) + $serverArgs }
        $script:ServerProcess = Start-Process -FilePath $exe -ArgumentList $serverArgs -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'server.out') -RedirectStandardError (Join-Path $TestDrive 'server.err')
        # Its UDP echo starts in a job of its own, after the HTTP listener: wait for both, as the
        # probes' ten tries a second apart do in a cluster.
        $deadline = (Get-Date).AddSeconds(60)
        $udpReady = $false
        while (-not $udpReady -and (Get-Date) -lt $deadline) {
            $u = New-Object System.Net.Sockets.UdpClient
            try {
                $u.Client.ReceiveTimeout = 500
                $b = [System.Text.Encoding]::ASCII.GetBytes('echo ready')
                [void]$u.Send($b, $b.Length, '127.0.0.1', $script:UdpPort)
                $from = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
                $udpReady = ([System.Text.Encoding]::ASCII.GetString($u.Receive([ref]$from)) -eq 'ready')
            } catch { Start-Sleep -Milliseconds 500 } finally { $u.Close() }
        }
        if (-not $udpReady) { throw "probe-server.ps1 never answered UDP on $($script:UdpPort): $(Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'server.err') -ErrorAction SilentlyContinue)" }
        # The probe's own wait for its server (WIN_K8S_PROBE_WAIT_FOR_TCP) is what a pod uses.
        $env:WIN_K8S_PROBE_WAIT_FOR_TCP = "127.0.0.1:$($script:HttpPort)"
        $env:TEMP = $TestDrive
        # curl.exe is Windows' own curl: on Linux, the same program is curl.
        $ExecutionContext.InvokeCommand.PreCommandLookupAction = {
            param($name, $eventArgs)
            if ($name -eq 'curl.exe') {
                $eventArgs.CommandScriptBlock = { & (Get-Command -CommandType Application curl | Select-Object -First 1).Source @args }
                $eventArgs.StopSearch = $true
            }
        }
    }
    AfterAll {
        $ExecutionContext.InvokeCommand.PreCommandLookupAction = $null
        # What was started may be the .NET tool's launcher, which runs the server as its child, and
        # the server's UDP job is a further child (Start-Job's `pwsh -s`): neither dies with its
        # parent. The whole tree is found while it still stands, then each is stopped by its id.
        if ($script:ServerProcess) {
            function Get-Descendant([int]$Id) {
                foreach ($child in @(Microsoft.PowerShell.Management\Get-Process | Where-Object { $_.Parent -and $_.Parent.Id -eq $Id })) { $child; Get-Descendant $child.Id }
            }
            $tree = @(Get-Descendant $script:ServerProcess.Id)
            # Module-qualified: the node-checks harness stubs Get-Process in this same session.
            Microsoft.PowerShell.Management\Stop-Process -Id $script:ServerProcess.Id -Force -ErrorAction SilentlyContinue
            foreach ($p in $tree) { Microsoft.PowerShell.Management\Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue }
        }
        foreach ($n in @('WIN_K8S_HTTP_PORT', 'WIN_K8S_UDP_PORT', 'WIN_K8S_PROBE_WAIT_FOR_TCP')) { Remove-Item -LiteralPath "Env:$n" -ErrorAction SilentlyContinue }
    }

    It 'reaches the server over HTTP, TCP and UDP echo' {
        $r = Invoke-Probe @(
            @{ kind = 'http'; label = 'http'; url = "http://127.0.0.1:$($script:HttpPort)/echo?msg=hello" },
            @{ kind = 'tcp'; label = 'tcp'; host = '127.0.0.1'; port = $script:HttpPort },
            @{ kind = 'udp'; label = 'udp'; host = '127.0.0.1'; port = $script:UdpPort }
        )
        ($r.Lines -join "`n") | Should -Match '(?m)^WIN-K8S-PROBE ok http \d+$'
        ($r.Lines -join "`n") | Should -Match '(?m)^WIN-K8S-PROBE ok tcp \d+$'
        ($r.Lines -join "`n") | Should -Match '(?m)^WIN-K8S-PROBE ok udp \d+$'
        $r.ExitCode | Should -Be 0
        Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'win-k8s-probe.body') | Should -Be 'hello'
    }

    It 'fails an HTTP path the server does not serve, and a closed port, naming each' {
        $closed = Get-FreePort 'Tcp'
        $r = Invoke-Probe @(
            @{ kind = 'http'; label = 'missing'; url = "http://127.0.0.1:$($script:HttpPort)/nothing" },
            @{ kind = 'tcp'; label = 'closed'; host = '127.0.0.1'; port = $closed }
        )
        $r.Lines[0] | Should -Match '^WIN-K8S-PROBE fail missing curl exit 22 '
        $r.Lines[1] | Should -Match "^WIN-K8S-PROBE fail closed TCP connect to 127\.0\.0\.1:$closed failed"
        $r.ExitCode | Should -Be 1
    }

    It 'demands a body of at least minBytes' {
        $r = Invoke-Probe @(@{ kind = 'http'; label = 'mtu'; url = "http://127.0.0.1:$($script:HttpPort)/echo?msg=short"; minBytes = 9000 })
        $r.Lines[0] | Should -Be 'WIN-K8S-PROBE fail mtu body of 5 bytes, expected at least 9000'
    }
}


# ---------------------------------------------------------------------------------------------
# Proxy (--http-proxy / --https-proxy): downloads, the machine environment and the services
# (containerd pulls images, the kubelet and kube-proxy reach the API server) use it. A script
# rendered without a proxy gets 15-no-proxy.ps1 instead, which keeps it small.
# ---------------------------------------------------------------------------------------------
function Get-WebProxyArguments {
    param([Parameter(Mandatory)] [string]$Uri)
    $proxy = $WinK8s.HttpsProxy
    if ($Uri.StartsWith('http://')) {
        $proxy = $WinK8s.HttpProxy
    }
    if (-not $proxy) {
        return @{}
    }
    # Invoke-WebRequest ignores a user and password inside the proxy URL: pass them apart.
    if ($proxy -match '^(https?://)([^/:@]+):([^/@]*)@(.+)$') {
        $secret = ConvertTo-SecureString -String ([Uri]::UnescapeDataString($Matches[3])) -AsPlainText -Force
        $credential = New-Object System.Management.Automation.PSCredential -ArgumentList ([Uri]::UnescapeDataString($Matches[2])), $secret
        return @{ Proxy = $Matches[1] + $Matches[4]; ProxyCredential = $credential }
    }
    return @{ Proxy = $proxy }
}

function Get-ProxyEnvironment {
    $vars = @()
    if ($WinK8s.HttpProxy) {
        $vars += "HTTP_PROXY=$($WinK8s.HttpProxy)"
    }
    if ($WinK8s.HttpsProxy) {
        $vars += "HTTPS_PROXY=$($WinK8s.HttpsProxy)"
    }
    if ($vars.Count -gt 0) {
        $vars += "NO_PROXY=$($WinK8s.NoProxy -join ',')"
    }
    return , $vars
}

function Set-ServiceEnvironment {
    param([Parameter(Mandatory)] [string]$Service)
    $vars = Get-ProxyEnvironment
    if ($vars.Count -eq 0) {
        return
    }
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$Service"
    New-ItemProperty -Path $key -Name 'Environment' -PropertyType MultiString -Value $vars -Force | Out-Null
}


/**
 * The ARM resource ids of the Azure cluster the end-to-end tests seed into the fake: a
 * subscription, the cluster's resource group, a VNet in a separate network group with the
 * nodes' subnet, and the control-plane VM with its NIC.
 */
export const SUB = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
export const RG = 'k8s-rg';
export const VNET = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/k8s-vnet`;
export const SUBNET = `${VNET}/subnets/nodes`;
export const CP_VM = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/cp-0`;
export const CP_NIC = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/cp-0-nic`;

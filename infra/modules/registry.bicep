// An Azure Container Registry for the blobflow image, for `azd up` (azd pushes the image it
// builds here). Basic tier, no admin user, no anonymous pull: the Container App pulls with its
// managed identity (AcrPull, acr-pull.bicep). To use a registry you already run, leave
// createContainerRegistry off and pass containerRegistryName instead.

param name string
param location string
param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139:azd pushes from the developer's machine; private endpoints need Premium and a network
  // checkov:skip=CKV_AZURE_166:quarantine needs Premium; use containerRegistryName for a hardened registry
  // checkov:skip=CKV_AZURE_163:image scanning is Defender for Containers, a subscription plan, not a registry setting
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output loginServer string = registry.properties.loginServer

/*
 * quantity.c — the quantity table.
 *
 * Units follow what Chinese energy statistics report: electricity in kWh,
 * water and gas in m3 (gas at standard conditions, Nm3), steam and fuels in t,
 * heat in GJ. Emission concentrations are mg/m3 at standard conditions, dry
 * (HJ 75-2017). Adding a kind is appending a row; never rename one.
 */
#include "quantity.h"

#include <string.h>

static const struct gfi_quantity table[] = {
	/* electricity */
	{ "elec_import_kwh", "kWh", GFI_COUNTER, "正向有功电能", "active energy imported" },
	{ "elec_export_kwh", "kWh", GFI_COUNTER, "反向有功电能", "active energy exported" },
	{ "elec_reactive_kvarh", "kvarh", GFI_COUNTER, "无功电能", "reactive energy" },
	{ "elec_power_kw", "kW", GFI_GAUGE, "有功功率", "active power" },
	{ "elec_voltage_v", "V", GFI_GAUGE, "电压", "voltage" },
	{ "elec_current_a", "A", GFI_GAUGE, "电流", "current" },
	{ "elec_power_factor", "1", GFI_GAUGE, "功率因数", "power factor" },
	{ "elec_frequency_hz", "Hz", GFI_GAUGE, "频率", "frequency" },
	/* water */
	{ "water_volume_m3", "m3", GFI_COUNTER, "累计水量", "water volume" },
	{ "water_flow_m3h", "m3/h", GFI_GAUGE, "瞬时水流量", "water flow rate" },
	/* gas and fuels */
	{ "gas_volume_m3", "m3", GFI_COUNTER, "累计气量(标况)", "gas volume (standard)" },
	{ "gas_flow_m3h", "m3/h", GFI_GAUGE, "瞬时气流量(标况)", "gas flow rate (standard)" },
	{ "fuel_mass_t", "t", GFI_COUNTER, "燃料累计质量", "fuel mass" },
	/* steam and heat */
	{ "steam_mass_t", "t", GFI_COUNTER, "蒸汽累计质量", "steam mass" },
	{ "steam_flow_th", "t/h", GFI_GAUGE, "蒸汽瞬时流量", "steam flow rate" },
	{ "heat_energy_gj", "GJ", GFI_COUNTER, "累计热量", "heat energy" },
	{ "heat_power_kw", "kW", GFI_GAUGE, "热功率", "heat power" },
	{ "temperature_c", "degC", GFI_GAUGE, "温度", "temperature" },
	{ "pressure_mpa", "MPa", GFI_GAUGE, "压力", "pressure" },
	/* production */
	{ "product_count", "pcs", GFI_COUNTER, "产品产量(件)", "product count" },
	{ "product_mass_t", "t", GFI_COUNTER, "产品产量(吨)", "product mass" },
	/* flue gas, continuous emission monitoring (HJ 75 / HJ 212) */
	{ "flue_flow_m3h", "m3/h", GFI_GAUGE, "烟气流量(标干)", "flue gas flow (std, dry)" },
	{ "so2_mgm3", "mg/m3", GFI_GAUGE, "二氧化硫浓度", "SO2 concentration" },
	{ "nox_mgm3", "mg/m3", GFI_GAUGE, "氮氧化物浓度", "NOx concentration" },
	{ "dust_mgm3", "mg/m3", GFI_GAUGE, "颗粒物浓度", "particulate concentration" },
	{ "o2_pct", "%", GFI_GAUGE, "含氧量", "oxygen content" },
	{ "cems_flag", "1", GFI_GAUGE, "数据标记", "CEMS data flag" },
	/* wastewater */
	{ "wastewater_volume_m3", "m3", GFI_COUNTER, "累计废水量", "wastewater volume" },
	{ "wastewater_flow_m3h", "m3/h", GFI_GAUGE, "废水瞬时流量", "wastewater flow rate" },
	{ "cod_mgl", "mg/L", GFI_GAUGE, "化学需氧量浓度", "COD concentration" },
	{ "nh3n_mgl", "mg/L", GFI_GAUGE, "氨氮浓度", "NH3-N concentration" },
};

const struct gfi_quantity *gfi_quantity_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	}
	return NULL;
}

size_t gfi_quantity_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

const struct gfi_quantity *gfi_quantity_at(size_t i)
{
	return i < gfi_quantity_count() ? &table[i] : NULL;
}

"""Word lists for synthetic Chinese enterprise and person names (deterministic, no Faker needed)."""

TRADE_NAMES = (
    "恒泰 华鑫 宏达 永盛 金源 瑞丰 鼎盛 天成 荣昌 新宇 汇丰 长城 东方 中泰 嘉禾 盛源 富康 兴业 海洋 伟业 "
    "广汇 信达 宝丰 昌盛 通达 德隆 华联 正大 安泰 联创 金泰 万通 中盛 华润 明珠 锦程 博远 弘毅 立新 同心 "
    "润泽 凯旋 泰和 隆基 红星 佳源 远航 创新 晨光 鸿运 振华 银河 国邦 金地 久安 福瑞 星辰 绿源 北辰 南洋"
).split()

SECTOR_WORDS = {
    "coal_mine": ("煤业", "矿业", "煤矿"),
    "metal_nonmetal_mine": ("矿业", "石材", "采石场"),
    "hazchem_production": ("化工", "石化", "新材料", "精细化工"),
    "hazchem_storage": ("仓储", "石化储运", "化工物流"),
    "hazchem_trading": ("化工贸易", "石油销售", "化学品经营"),
    "fireworks": ("烟花", "花炮", "烟花爆竹"),
    "industry_trade_metallurgy": ("钢铁", "特钢", "冶金"),
    "industry_trade_nonferrous": ("铝业", "铜业", "有色金属"),
    "industry_trade_building_materials": ("水泥", "建材", "玻璃"),
    "industry_trade_machinery": ("机械", "精密制造", "装备", "电气"),
    "industry_trade_light": ("食品", "纸业", "家具", "塑料制品"),
    "industry_trade_textile": ("纺织", "印染", "服饰"),
    "industry_trade_tobacco": ("卷烟厂", "烟草物流"),
    "industry_trade_commerce_warehousing": ("商贸", "物流", "冷链仓储", "商业广场"),
    "construction": ("建设工程", "建筑", "市政工程"),
    "urban_gas": ("燃气", "天然气", "液化气"),
    "road_transport": ("运输", "客运", "危货运输", "物流"),
    "other": ("实业", "科技", "服务"),
}

SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")

SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧".split()
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 华 平 刚 桂英 建华 志强 海燕 国强 晓东 文博".split()
)

# (major, general) finding texts by sector family; the general list is shared.
MAJOR_TEXTS = {
    "coal_mine": (
        "井下瓦斯检查存在漏检、假检",
        "超能力组织生产，月产量超过核定能力的10%",
        "未按规定设置安全监控系统",
    ),
    "metal_nonmetal_mine": ("尾矿库排洪设施不符合设计要求", "地下矿山未按规定建立安全出口"),
    "hazchem": (
        "涉及重点监管危险化工工艺的装置未实现自动化控制",
        "构成一级重大危险源的罐区未设置紧急切断装置",
        "危险化学品仓库与居民区安全距离不足",
        "特种作业人员未持证上岗",
    ),
    "fireworks": ("工房内超药量、超人员作业", "危险品生产区防雷设施失效"),
    "industry_trade": (
        "粉尘爆炸危险场所除尘系统未设置锁气卸灰装置",
        "有限空间作业未落实先通风、再检测、后作业",
        "冶金煤气区域未设置固定式一氧化碳报警仪",
    ),
    "construction": ("高处作业脚手架未按方案搭设，存在坍塌风险", "深基坑未按规定进行监测"),
    "urban_gas": ("燃气管道被违章占压，存在重大泄漏风险", "餐饮场所使用燃气未安装可燃气体报警装置"),
    "road_transport": ("危险货物运输车辆未安装卫星定位装置", "客运车辆驾驶员超时驾驶"),
    "other": ("消防设施严重损坏，不能正常使用",),
}
GENERAL_TEXTS = (
    "消防通道堆放杂物",
    "安全警示标志缺失",
    "劳动防护用品佩戴不规范",
    "特种作业人员证书过期未复审",
    "应急预案未按期演练",
    "电气线路私拉乱接",
    "灭火器压力不足",
    "安全培训记录不完整",
    "设备防护罩缺失",
    "作业场所照明不足",
)
